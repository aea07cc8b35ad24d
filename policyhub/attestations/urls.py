from django.urls import path

from . import views

app_name = "attestations"

urlpatterns = [
    path("versions/<int:version_id>/", views.acknowledge_version, name="acknowledge"),
]
