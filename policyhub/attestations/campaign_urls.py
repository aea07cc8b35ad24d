from django.urls import path

from . import campaign_views as views

app_name = "campaigns"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("team/", views.team, name="team"),
    path("new/", views.campaign_create, name="create"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/people/", views.campaign_people, name="people"),
    path("<int:campaign_id>/close/", views.campaign_close, name="close"),
    path("<int:campaign_id>/export/<str:kind>/", views.campaign_export, name="export"),
    path("assignments/<int:assignment_id>/extend/", views.assignment_extend, name="extend"),
    path("jobs/<int:job_id>/", views.job_progress, name="job"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
]
