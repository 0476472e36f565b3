"""Staff dashboards under `dasbor/` (the public statistics are in public_urls.py, under `statistik/`)."""

from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("ekspor.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("ekspor.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
