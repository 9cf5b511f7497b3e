"""The tenant-aware Celery app: every task runs inside the schema of the tenant that sent
it (tenant-schemas-celery). Routing lives in settings (``CELERY_TASK_ROUTES``): tasks named
``mail.*`` go to the ``mail`` queue, so a dedicated worker (``-Q mail``) sends email and a
slow SMTP server never delays the agents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery.signals import worker_ready
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revo.settings.dev")

# Every task refuses to run outside a tenant (revo.core.tasks.TenantScopedTask).
app = CeleryApp("revo", task_cls="revo.core.tasks:TenantScopedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _announce_ready(**_: Any) -> None:
    """Touch ``REVO_WORKER_READY_FILE`` once the worker consumes (used by the test harness
    and by container health checks)."""
    ready_file = os.environ.get("REVO_WORKER_READY_FILE")
    if ready_file:
        Path(ready_file).write_text(str(os.getpid()))
