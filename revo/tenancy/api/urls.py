from django.urls import path

from revo.tenancy.api import views

platform_urlpatterns = [
    path("platform/tenants", views.TenantProvisionView.as_view(), name="platform-tenants"),
]
