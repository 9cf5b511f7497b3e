"""The base class of every Revo Celery task: it runs inside the schema of the tenant that
sent it (tenant-schemas-celery), and refuses to run without one."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from tenant_schemas_celery.task import TenantTask

from revo.core import context

logger = logging.getLogger(__name__)


class TenantRequired(RuntimeError):  # noqa: N818
    """A tenant-scoped task arrived without a tenant; it is refused, never retried."""


class TenantScopedTask(TenantTask):
    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        schema = getattr(connection, "schema_name", None)
        if not schema or schema == "public":
            logger.error(
                "task %s refused: it was sent without a tenant",
                self.name,
                extra={"event": "task.refused_no_tenant", "task": self.name},
            )
            raise TenantRequired(f"task {self.name} must run inside a tenant schema")
        with context.bind(tenant=schema):
            return super().__call__(*args, **kwargs)
