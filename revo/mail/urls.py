from django.urls import path

from revo.mail import views

urlpatterns = [
    path("u/events", views.mail_events, name="mail-events"),
    path("u/<str:token>", views.unsubscribe, name="mail-unsubscribe"),
]
