"""URLs of the public host (platform operators)."""

from django.contrib import admin
from django.urls import path

from revo.core import health

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
]
