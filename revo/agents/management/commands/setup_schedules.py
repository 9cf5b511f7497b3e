from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from revo.agents.schedules import schedules_ensure
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create the default per-tenant schedules (idempotent: a second run changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: every active tenant)")

    def handle(self, *args: object, **options: str) -> None:
        tenants = Tenant.objects.filter(is_active=True, is_template=False).exclude(
            schema_name="public"
        )
        if options.get("tenant"):
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no active tenant with slug {options['tenant']!r}")
        for tenant in tenants:
            with tenant_context(tenant):
                counts = schedules_ensure()
            self.stdout.write(
                f"{tenant.slug}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
