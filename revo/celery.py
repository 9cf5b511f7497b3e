"""The tenant-aware Celery app: every task runs inside the schema of the tenant that sent
it (tenant-schemas-celery)."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revo.settings.dev")

app = CeleryApp("revo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
