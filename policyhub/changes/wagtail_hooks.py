"""Wagtail admin screens for the change catalogue, systems and calendar periods."""

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import (
    BlackoutPeriod,
    ChangeCategory,
    MaintenanceWindow,
    StandardChangeTemplate,
    System,
    VoteDelegation,
)


class SystemViewSet(SnippetViewSet):
    model = System
    icon = "cogs"
    list_display = ["name", "owner", "active"]
    list_filter = ["active"]
    search_fields = ["name", "owner"]


class CategoryViewSet(SnippetViewSet):
    model = ChangeCategory
    icon = "tag"
    list_display = ["name"]


class TemplateViewSet(SnippetViewSet):
    model = StandardChangeTemplate
    icon = "doc-full"
    menu_label = "Standard change catalogue"
    list_display = ["name", "category", "approved_on", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "description"]
    panels = [
        FieldPanel("name"),
        FieldPanel("description"),
        FieldPanel("category"),
        FieldPanel("systems"),
        MultiFieldPanel([FieldPanel("impact"), FieldPanel("likelihood")], heading="Risk"),
        FieldPanel("implementation_plan"),
        FieldPanel("rollback_plan"),
        FieldPanel("test_plan"),
        FieldPanel("approved_on"),
        FieldPanel("active"),
    ]


class MaintenanceWindowViewSet(SnippetViewSet):
    model = MaintenanceWindow
    icon = "date"
    list_display = ["name", "starts_at", "ends_at"]


class BlackoutPeriodViewSet(SnippetViewSet):
    model = BlackoutPeriod
    icon = "warning"
    menu_label = "Blackout periods"
    list_display = ["name", "starts_at", "ends_at"]


class DelegationViewSet(SnippetViewSet):
    model = VoteDelegation
    icon = "group"
    menu_label = "CAB vote delegations"
    list_display = ["member", "delegate", "starts_on", "ends_on"]


class ChangeManagementGroup(SnippetViewSetGroup):
    menu_label = "Change management"
    menu_icon = "cogs"
    menu_order = 300
    items = (
        SystemViewSet, CategoryViewSet, TemplateViewSet, MaintenanceWindowViewSet,
        BlackoutPeriodViewSet, DelegationViewSet,
    )


register_snippet(ChangeManagementGroup)
