from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path(
        "versions/<int:version_id>/signed.pdf",
        views.download_signed_pdf,
        name="signed_pdf",
    ),
    path("signing-certificate.pem", views.signing_certificate, name="certificate"),
    path("verify/", views.verify, name="verify"),
]
