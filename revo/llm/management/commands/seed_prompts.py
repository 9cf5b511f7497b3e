from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from revo.llm.services import prompts_seed
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Seed the shipped default prompts (revo/llm/prompts/) into every tenant, or one. "
        "Tenant edits are never touched: a changed shipped prompt becomes a new version only "
        "for tenants that never created their own version of that key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: every tenant)")

    def handle(self, *args: object, **options: str | None) -> None:
        tenants = Tenant.objects.exclude(schema_name="public").exclude(
            schema_name=settings.TENANT_BASE_SCHEMA
        )
        if options.get("tenant"):
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {options['tenant']!r}")
        for tenant in tenants.order_by("slug"):
            with schema_context(tenant.schema_name):
                report = prompts_seed()
            self.stdout.write(
                f"{tenant.slug}: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, "
                f"{len(report.kept_tenant_edits)} kept tenant edits"
                + (f" ({', '.join(report.kept_tenant_edits)})" if report.kept_tenant_edits else "")
            )
