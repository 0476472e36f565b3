"""Public statistics and scorecards under `statistik/` (no login; never confidential reports)."""

from django.urls import path

from . import views

app_name = "statistik"
urlpatterns = [
    path("", views.public, name="public"),
    path("instansi/<slug:code>/", views.public, name="agency"),
]
