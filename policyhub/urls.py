from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # OpenID Connect views that check every ID token signature, ahead of allauth's.
    path("accounts/", include("policyhub.sso.urls")),
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
    path("scim/v2/", include("policyhub.scim.urls")),
    path("training/", include("policyhub.training.urls")),
    path("procedures/", include("policyhub.procedures.urls")),
    path("privacy/", include("policyhub.privacy.urls")),
    path("access-reviews/", include("policyhub.access_reviews.urls")),
    path("", include("policyhub.portal.urls")),
    path("policies/", include(wagtail_urls)),
]
