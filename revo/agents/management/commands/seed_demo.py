from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from revo.agents.demo import demo_seed
from revo.core.exceptions import DomainError
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Seed a tenant with demo data that gives every agent work: new and contacted leads, "
        "replies, engaged leads, deals in negotiation (one with a customer counter-offer), a "
        "signed contract, overdue invoices, a price list, policies and auto-approval rules. "
        "Running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")

    def handle(self, *args: object, **options: object) -> None:
        tenant = Tenant.objects.filter(
            slug=options["tenant"], is_active=True, is_template=False
        ).first()
        if tenant is None:
            raise CommandError(f"no active tenant with slug {options['tenant']!r}")
        with tenant_context(tenant):
            try:
                report = demo_seed()
            except DomainError as exc:
                raise CommandError(f"seeding stopped: {exc.message}") from None
        if not report.created:
            self.stdout.write(f"{tenant.slug}: demo data already there; nothing created")
        else:
            self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: demo data seeded"))
            for what, count in report.created.items():
                self.stdout.write(f"  {count:>3} {what}")
        if report.skipped:
            self.stdout.write(f"  {report.skipped:>3} scenario(s) already present, left alone")
