"""The procedure page: a policy page with steps, performers and a schedule.

``ProcedurePage`` inherits ``PolicyPage`` (multi-table inheritance), so each
procedure has the policy's versions, approval workflow, acknowledgements and
signed PDFs without any code of its own for them.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.html import format_html, format_html_join
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField

from ...policies.models import PolicyPage


class EvidenceKind(models.TextChoices):
    NONE = "none", "No evidence"
    NOTE = "note", "A note"
    FILE = "file", "A file"
    LINK = "link", "A link"
    CHECKBOX = "checkbox", "A confirmation checkbox"


class Schedule(models.TextChoices):
    ON_DEMAND = "", "On demand only"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUALLY = "annually", "Annually"
    CRON = "cron", "Cron expression"


class StepBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(min_value=1, max_value=999)
    title = blocks.CharBlock(max_length=200)
    instructions = blocks.TextBlock(required=False)
    evidence = blocks.ChoiceBlock(
        choices=EvidenceKind.choices,
        default=EvidenceKind.NONE,
        help_text="Evidence the performer must attach before the step counts as done.",
    )

    class Meta:
        icon = "list-ol"


class ProcedurePage(PolicyPage):
    """A documented procedure under the policy it implements."""

    performer_groups = ParentalManyToManyField(
        Group,
        related_name="performed_procedures",
        help_text="Roles that perform the procedure and must acknowledge it.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_procedures",
        help_text="Person who performs scheduled runs. Leave empty to assign them "
        "to the performing roles.",
    )
    sign_off_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Role whose member signs off each completed run. The performer "
        "and evidence providers of a run cannot sign it off. Leave empty when no "
        "sign-off is needed.",
    )
    steps = StreamField([("step", StepBlock())], use_json_field=True)
    schedule = models.CharField(
        max_length=10, choices=Schedule.choices, blank=True, default=Schedule.ON_DEMAND
    )
    schedule_cron = models.CharField(
        max_length=100,
        blank=True,
        help_text="Five-field cron expression (minute hour day month weekday) in the "
        "site's time zone, used when the schedule is 'Cron expression'.",
    )
    run_due_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days from the start of a run's period to its due date.",
    )

    parent_page_types = ["policies.PolicyPage"]
    subpage_types = []

    content_panels = (
        PolicyPage.content_panels[:3]
        + [
            MultiFieldPanel(
                [
                    FieldPanel("performer_groups"),
                    FieldPanel("assignee"),
                    FieldPanel("sign_off_group"),
                    FieldPanel("schedule"),
                    FieldPanel("schedule_cron"),
                    FieldPanel("run_due_days"),
                ],
                heading="Performance",
            ),
            FieldPanel("steps"),
        ]
        + PolicyPage.content_panels[3:]
    )

    class Meta:
        verbose_name = "procedure"
        verbose_name_plural = "procedures"

    def clean(self):
        super().clean()
        from ..schedule import validate_schedule
        from ..steps import validate_steps

        validate_schedule(self.schedule, self.schedule_cron)
        problems = validate_steps(self.step_list())
        if problems:
            raise ValidationError({"steps": problems})

    def step_list(self):
        """Return the steps as dicts, in page order."""
        return [
            {
                "number": block.value["number"],
                "title": block.value["title"],
                "instructions": block.value.get("instructions") or "",
                "evidence": block.value.get("evidence") or EvidenceKind.NONE,
            }
            for block in self.steps
            if block.block_type == "step"
        ]

    def sections(self):
        """Return the body sections followed by a "Steps" section.

        The steps are part of every version's HTML snapshot, its content
        SHA-256 and its signed PDF.
        """
        labels = dict(EvidenceKind.choices)
        items = format_html_join(
            "\n",
            '<li value="{}"><strong>{}</strong>{}<br><em>Evidence: {}</em></li>',
            (
                (
                    step["number"],
                    step["title"],
                    format_html("<br>{}", step["instructions"]) if step["instructions"] else "",
                    labels.get(step["evidence"], step["evidence"]),
                )
                for step in self.step_list()
            ),
        )
        return [*super().sections(), ("steps", "Steps", format_html("<ol>\n{}\n</ol>", items))]

    @property
    def schedule_label(self):
        if self.schedule == Schedule.CRON:
            return f"Cron {self.schedule_cron} ({settings.TIME_ZONE})"
        return self.get_schedule_display()
