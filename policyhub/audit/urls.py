from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("extract.pdf", views.extract_pdf, name="extract_pdf"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/signed.pdf", views.review_pdf, name="review_pdf"),
]
