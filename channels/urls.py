from django.urls import path

from . import views

app_name = "channels"
urlpatterns = [
    path("whatsapp/", views.whatsapp_webhook, name="whatsapp"),
    path("sms/", views.sms_webhook, name="sms"),
]
