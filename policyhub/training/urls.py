from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.my_training, name="mine"),
    path("modules/<slug:slug>/", views.module_detail, name="module"),
    path("modules/<slug:slug>/lessons/<str:lesson_id>/done/", views.lesson_done,
         name="lesson_done"),
    path("modules/<slug:slug>/quiz/", views.quiz_start, name="quiz_start"),
    path("attempts/<int:attempt_id>/", views.attempt_detail, name="attempt"),
    path("certificates/<int:completion_id>.pdf", views.certificate, name="certificate"),
    path("team/", views.team, name="team"),
    path("assignments/<int:assignment_id>/extend/", views.extend, name="extend"),
    path("assignments/<int:assignment_id>/attempts/", views.grant_attempt,
         name="grant_attempt"),
    path("assign/", views.assign, name="assign"),
    path("report/", views.report, name="report"),
    path("report.<str:fmt>", views.report_export, name="report_export"),
]
