from django.urls import path

from . import views

app_name = "access_reviews"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("items/<int:item_id>/decide/", views.decide_item, name="decide"),
    path("reviews/", views.overview, name="overview"),
    path("reviews/<int:review_id>/", views.detail, name="detail"),
    path("reviews/<int:review_id>/close/", views.close, name="close"),
    path("reviews/<int:review_id>/export/<str:kind>/", views.export, name="export"),
]
