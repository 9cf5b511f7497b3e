"""The tenant's calendar: "today" and the tenant row behind the current schema."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.db import connection
from django.utils import timezone

from revo.tenancy.models import Tenant


def current_tenant() -> Tenant:
    """The tenant of the connection's schema (``schema_context`` only sets a stand-in)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)


def tenant_today() -> date:
    """Today's date in the tenant's time zone (due dates are calendar days there)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(current_tenant().timezone))
