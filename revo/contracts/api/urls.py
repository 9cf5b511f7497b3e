from django.urls import path

from revo.contracts.api import views

urlpatterns = [
    path("contracts", views.ContractListView.as_view(), name="contract-list"),
    path("contracts/<int:pk>", views.ContractDetailView.as_view(), name="contract-detail"),
    path("contracts/<int:pk>/revise", views.ContractReviseView.as_view(), name="contract-revise"),
    path(
        "contracts/<int:pk>/rounds", views.ContractRoundListView.as_view(), name="contract-rounds"
    ),
]
