from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("", views.my_runs, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:procedure_id>/start/", views.start_run, name="start"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/steps/<int:number>/", views.step_evidence, name="step"),
    path("runs/<int:run_id>/complete/", views.complete, name="complete"),
    path("runs/<int:run_id>/sign-off/", views.sign_off, name="sign_off"),
    path("runs/<int:run_id>/pdf/", views.run_pdf, name="pdf"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
