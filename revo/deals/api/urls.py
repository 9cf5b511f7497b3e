from django.urls import path

from revo.deals.api import views

urlpatterns = [
    path("deals", views.DealListView.as_view(), name="deal-list"),
    path("deals/<int:pk>", views.DealDetailView.as_view(), name="deal-detail"),
    path("deals/<int:pk>/advance", views.DealAdvanceView.as_view(), name="deal-advance"),
    path("deals/<int:pk>/lost", views.DealLostView.as_view(), name="deal-lost"),
    path("deals/<int:pk>/won", views.DealWonView.as_view(), name="deal-won"),
]
