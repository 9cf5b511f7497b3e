"""URLs of a tenant's host (``acme.localhost``): the admin review dashboard and the API."""

from django.contrib import admin
from django.urls import include, path

from revo.core import health

admin.site.site_header = "Revo"
admin.site.site_title = "Revo"
admin.site.index_title = "Review dashboard"

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("", include("revo.mail.urls")),
]
