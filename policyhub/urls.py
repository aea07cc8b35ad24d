from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/", include("allauth.urls")),
    path("exports/", include("policyhub.exports.urls")),
    path("acknowledgements/", include("policyhub.attestations.urls")),
    path("campaigns/", include("policyhub.attestations.campaign_urls")),
    path("auditor/", include("policyhub.policies.auditor_urls")),
    path("exceptions/", include("policyhub.exceptions.urls")),
    path("changes/", include("policyhub.changes.urls")),
    path("audit/", include("policyhub.audit.urls")),
    path("api/", include("policyhub.api.urls")),
    path("api-keys/", include("policyhub.api.portal_urls")),
    path("training/", include("policyhub.training.urls")),
    path("", include("policyhub.portal.urls")),
    path("policies/", include(wagtail_urls)),
]
