from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("daftar/", views.register, name="register"),
    path("daftar/terkirim/", views.register_sent, name="register_sent"),
    path("dua-langkah/", views.otp_security, name="otp_security"),
    path("dua-langkah/kode/", views.otp_verify, name="otp_verify"),
    path("dua-langkah/aktifkan/", views.otp_enrol, name="otp_enrol"),
    path("profil/", views.profile, name="profile"),
    path("undangan/<str:token>/", views.invitation, name="invitation"),
    path("verifikasi/kirim-ulang/", views.resend_verification, name="resend_verification"),
    path("verifikasi/<str:token>/", views.verify_email, name="verify_email"),
    path("sandi/lupa/", views.password_reset, name="password_reset"),
    path("sandi/lupa/terkirim/", views.password_reset_done, name="password_reset_done"),
    path("sandi/atur/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("sandi/atur/selesai/", views.password_reset_complete, name="password_reset_complete"),
]
