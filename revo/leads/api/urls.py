from django.urls import path

from revo.leads.api import views

urlpatterns = [
    path("leads", views.LeadListView.as_view(), name="lead-list"),
    path("leads/import", views.LeadImportView.as_view(), name="lead-import"),
    path("leads/<int:pk>", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<int:pk>/transition", views.LeadTransitionView.as_view(), name="lead-transition"),
    path("leads/<int:pk>/replies", views.LeadReplyListView.as_view(), name="lead-replies"),
    path("replies", views.ReplyListView.as_view(), name="reply-list"),
]
