from django.urls import path

from . import auditor_views

app_name = "auditor"

urlpatterns = [
    path("as-of/", auditor_views.as_of, name="as_of"),
    path("compare/<slug:slug>/", auditor_views.compare, name="compare"),
]
