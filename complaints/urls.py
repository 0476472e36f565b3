from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("lacak/", views.track, name="track"),
    path("baru/", views.submit_report, name="submit"),
    path("instansi/", views.agency_search, name="agency_search"),
    path("terkirim/<str:tracking_no>/", views.submitted, name="submitted"),
    path("<str:tracking_no>/", views.detail, name="detail"),
]
