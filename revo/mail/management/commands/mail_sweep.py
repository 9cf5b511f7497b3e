"""``manage.py mail_sweep [--tenant SLUG]``: settle messages a crashed worker left in
``sending`` (failed as outcome unknown) and re-dispatch queued messages whose task was lost,
in every active tenant or one. Safe to run at any time; schedule it every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from revo.mail.services import email_outbox_sweep
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Sweep the outbox: stuck sending → failed (outcome unknown); lost tasks re-sent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant (default: every active one)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.filter(is_active=True, is_template=False).exclude(
            schema_name="public"
        )
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no active tenant with slug {options['tenant']!r}")
        total_unknown = total_redispatched = 0
        for tenant in tenants.order_by("slug"):
            with schema_context(tenant.schema_name):
                result = email_outbox_sweep()
            total_unknown += result.outcome_unknown
            total_redispatched += result.redispatched
            self.stdout.write(
                f"{tenant.slug}: {result.outcome_unknown} outcome unknown, "
                f"{result.redispatched} re-dispatched"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"swept {tenants.count()} tenant(s): {total_unknown} outcome unknown, "
                f"{total_redispatched} re-dispatched"
            )
        )
