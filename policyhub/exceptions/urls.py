from django.urls import path

from . import views

app_name = "exceptions"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("register/", views.register, name="register"),
    path("request/<slug:slug>/", views.request_exception, name="request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
