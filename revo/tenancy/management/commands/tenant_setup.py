from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revo.tenancy.models import Tenant
from revo.tenancy.services import tenant_setup_refresh


class Command(BaseCommand):
    help = (
        "Run the tenant setup steps (role groups, default prompts, pricing and dunning "
        "policies) in existing tenants. Idempotent: existing data and tenant edits stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: every tenant)")

    def handle(self, *args: object, **options: str) -> None:
        tenants = Tenant.objects.filter(is_template=False).exclude(schema_name="public")
        if options.get("tenant"):
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {options['tenant']!r}")
        for tenant in tenants:
            tenant_setup_refresh(tenant=tenant)
            self.stdout.write(f"{tenant.slug}: setup steps applied")
