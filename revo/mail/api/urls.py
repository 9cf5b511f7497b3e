from django.urls import path

from revo.mail.api import views

urlpatterns = [
    path("mail/messages", views.EmailMessageListView.as_view(), name="mail-messages"),
    path("mail/events", views.MailEventView.as_view(), name="mail-event-record"),
    path("mail/suppressions", views.SuppressionListView.as_view(), name="mail-suppressions"),
]
