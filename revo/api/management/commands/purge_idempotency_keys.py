"""Delete idempotency keys older than 24 hours in the public schema and every tenant."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from revo.api.services import idempotency_keys_purge
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records (older than 24 hours) in every schema."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for schema_name in Tenant.objects.order_by("schema_name").values_list(
            "schema_name", flat=True
        ):
            with schema_context(schema_name):
                deleted = idempotency_keys_purge()
            if deleted:
                self.stdout.write(f"{schema_name}: {deleted} deleted")
            total += deleted
        self.stdout.write(self.style.SUCCESS(f"{total} expired idempotency keys deleted"))
