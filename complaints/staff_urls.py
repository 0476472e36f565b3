from django.urls import path

from . import agency_views, staff_views

app_name = "staff"
urlpatterns = [
    path("terlambat/", staff_views.overdue, name="overdue"),
    path("latihan/", staff_views.practice, name="practice"),
    path("staf/", agency_views.staff, name="agency_staff"),
    path("staf/sk/<int:pk>/", agency_views.decree, name="decree"),
    path("bertindak/", agency_views.acting, name="acting"),
    path("sop/", agency_views.sop_page, name="sop"),
    path("kesiapan/", agency_views.readiness_page, name="readiness"),
    path("unit/", agency_views.units_page, name="units"),
    path("notifikasi/", staff_views.notification_list, name="notifications"),
    path("notifikasi/baca/", staff_views.notification_read, name="notification_read"),
    path("identitas/<str:tracking_no>/", staff_views.identity, name="identity"),
    path("ekspor/", staff_views.export_list, name="exports"),
    path("ekspor/<str:token>/", staff_views.export_status, name="export"),
    path("ekspor/<str:token>/unduh/", staff_views.export_download, name="export_download"),
]
