from django.urls import path

from . import health, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
]
