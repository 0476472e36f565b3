from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("lacak/", views.track, name="track"),
    path("<str:tracking_no>/", views.detail, name="detail"),
]
