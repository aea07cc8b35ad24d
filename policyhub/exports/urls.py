from django.urls import path

from . import evidence_views, views

app_name = "exports"

urlpatterns = [
    path(
        "versions/<int:version_id>/signed.pdf",
        views.download_signed_pdf,
        name="signed_pdf",
    ),
    path("signing-certificate.pem", views.signing_certificate, name="certificate"),
    path("verify/", views.verify, name="verify"),
    path("evidence/", evidence_views.pack_list, name="evidence"),
    path("evidence/<int:pack_id>/", evidence_views.pack_detail, name="evidence_pack"),
    path(
        "evidence/<int:pack_id>/download/",
        evidence_views.pack_download,
        name="evidence_download",
    ),
]
