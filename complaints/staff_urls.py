from django.urls import path

from . import staff_views

app_name = "staff"
urlpatterns = [
    path("terlambat/", staff_views.overdue, name="overdue"),
    path("notifikasi/", staff_views.notification_list, name="notifications"),
    path("notifikasi/baca/", staff_views.notification_read, name="notification_read"),
]
