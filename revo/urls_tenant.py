"""URLs of a tenant's host (``acme.localhost``): the admin review dashboard and the API."""

from django.contrib import admin
from django.urls import include, path

from revo.accounts.api.urls import auth_urlpatterns, users_urlpatterns
from revo.api.views import DocsView, SchemaView
from revo.core import health

admin.site.site_header = "Revo"
admin.site.site_title = "Revo"
admin.site.index_title = "Review dashboard"

api_v1_patterns = [
    path("", include("revo.leads.api.urls")),
    path("", include("revo.deals.api.urls")),
    path("", include("revo.contracts.api.urls")),
    path("", include("revo.billing.api.urls")),
    path("", include("revo.mail.api.urls")),
    *auth_urlpatterns,
    *users_urlpatterns,
    path("", include("revo.reviews.api.urls")),
    path("", include("revo.agents.api.urls")),
    path("", include("revo.llm.api.urls")),
]

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_patterns)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("revo.mail.urls")),
]

handler404 = "revo.api.errors.not_found"
handler500 = "revo.api.errors.server_error"
