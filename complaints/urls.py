from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("lacak/", views.track, name="track"),
    path("baru/", views.submit_report, name="submit"),
    path("instansi/", views.agency_search, name="agency_search"),
    path("serupa/", views.similar, name="similar"),
    path("wilayah/<str:code>/", views.areas, name="areas"),
    path("sekitar/", views.nearby, name="nearby"),
    path("peta.json", views.report_map, name="map_points"),
    path("terkirim/<str:tracking_no>/", views.submitted, name="submitted"),
    path("saya/", views.my_reports, name="mine"),
    path("notifikasi/", views.notification_list, name="notifications"),
    path("notifikasi/baca-semua/", views.notifications_read, name="notifications_read"),
    path("<str:tracking_no>/", views.detail, name="detail"),
    path("<str:tracking_no>/lengkapi/", views.provide_info, name="provide_info"),
    path("<str:tracking_no>/balas/", views.reply, name="reply"),
    path("<str:tracking_no>/terima/", views.accept, name="accept"),
    path("<str:tracking_no>/buka-kembali/", views.reopen, name="reopen"),
    path("<str:tracking_no>/dukung/", views.support, name="support"),
    path("<str:tracking_no>/komentar/", views.comment, name="comment"),
    path("<str:tracking_no>/lampiran/<int:pk>/", views.attachment, name="attachment"),
    path("<str:tracking_no>/berkas-ombudsman/", views.case_file, name="case_file"),
]
