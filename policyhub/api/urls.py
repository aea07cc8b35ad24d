from django.urls import include, path, re_path

from . import views
from .fallback import UnknownEndpoint

app_name = "api"

v1 = [
    path("policies/", views.PolicyList.as_view(), name="policies"),
    path("policies/<int:pk>/", views.PolicyDetail.as_view(), name="policy"),
    path("policies/<int:pk>/versions/", views.PolicyVersionList.as_view(), name="policy_versions"),
    path("policies/<int:pk>/status/", views.PolicyUserStatus.as_view(), name="policy_status"),
    path("versions/<int:pk>/", views.PolicyVersionDetail.as_view(), name="version"),
    path("versions/<int:pk>/acknowledge/", views.Acknowledge.as_view(), name="acknowledge"),
    path("status/me/", views.MyStatus.as_view(), name="my_status"),
    path("users/<int:pk>/status/", views.UserStatus.as_view(), name="user_status"),
    path("users/<int:pk>/deactivate/", views.DeactivateUser.as_view(), name="deactivate_user"),
    path("campaigns/<int:pk>/status/", views.CampaignStatus.as_view(), name="campaign_status"),
    path("audit-events/", views.AuditEventList.as_view(), name="audit_events"),
    path("changes/", views.ChangeList.as_view(), name="changes"),
    path("changes/<int:pk>/", views.ChangeDetail.as_view(), name="change"),
    path(
        "changes/<int:pk>/transitions/", views.ChangeTransition.as_view(), name="change_transition"
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    # Last: any other address under /api/ gets a JSON 404, never an HTML page.
    re_path(r"^(?P<path>.*)$", UnknownEndpoint.as_view(), name="unknown_endpoint"),
]
