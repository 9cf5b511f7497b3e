from django.urls import path

from revo.billing.api import views

urlpatterns = [
    path("invoices", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path(
        "invoices/<int:pk>/payments",
        views.InvoicePaymentListView.as_view(),
        name="invoice-payments",
    ),
    path("invoices/<int:pk>/pdf", views.InvoicePdfView.as_view(), name="invoice-pdf"),
]
