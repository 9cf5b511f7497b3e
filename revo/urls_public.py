"""URLs of the public host (platform operators)."""

from django.contrib import admin
from django.urls import include, path

from revo.accounts.api.urls import auth_urlpatterns
from revo.api.views import DocsView, SchemaView
from revo.core import health
from revo.tenancy.api.urls import platform_urlpatterns

api_v1_patterns = [
    *auth_urlpatterns,
    *platform_urlpatterns,
]

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_patterns)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "revo.api.errors.not_found"
handler500 = "revo.api.errors.server_error"
