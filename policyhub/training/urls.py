from django.urls import path

from . import compliance_views, phishing_views, views

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
    path("rules/", compliance_views.rule_list, name="rules"),
    path("rules/<int:rule_id>/", compliance_views.rule_detail, name="rule"),
    path("rules/<int:rule_id>/retire/", compliance_views.rule_retire, name="rule_retire"),
    path("suspensions/", compliance_views.suspension_list, name="suspensions"),
    path("suspensions.csv", compliance_views.suspension_export, name="suspension_export"),
    path("phishing/", phishing_views.exercise_list, name="phishing"),
    path("phishing/new/", phishing_views.exercise_create, name="phishing_create"),
    path("phishing/<int:exercise_id>/", phishing_views.exercise_detail,
         name="phishing_exercise"),
    path("phishing/<int:exercise_id>/import/", phishing_views.exercise_import,
         name="phishing_import"),
    path("phishing/<int:exercise_id>/results.csv", phishing_views.exercise_export,
         name="phishing_export"),
]
