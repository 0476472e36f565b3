from django.urls import path, re_path

from . import reference, views

app_name = "api"
urlpatterns = [
    path("reports", views.reports, name="reports"),
    path("reports/", views.reports),
    path("reports/<str:tracking_no>", views.report_detail, name="report"),
    path("reports/<str:tracking_no>/attachments/<int:pk>", views.attachment, name="attachment"),
    path("reports/<str:tracking_no>/<str:action>", views.act, name="act"),
    path("regions", reference.regions, name="regions"),
    path("categories", reference.categories, name="categories"),
    path("agencies", reference.agencies, name="agencies"),
    path("openapi.json", views.openapi, name="openapi"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/datapackage.json", views.datapackage, name="datapackage"),
    path("open-data/<str:name>", views.open_data_file, name="open_data_file"),
    re_path(r"^.*$", views.not_found),
]
