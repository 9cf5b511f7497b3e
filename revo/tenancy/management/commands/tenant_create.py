from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revo.tenancy.services import ProvisioningError, tenant_provision


class Command(BaseCommand):
    help = "Provision a tenant: schema, domain, role groups, defaults and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="lowercase letters, digits, hyphens")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="e.g. acme.localhost")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-password", help="the first admin's password (generated and printed if omitted)"
        )
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--postal-address", default="")

    def handle(self, *args: object, **options: str) -> None:
        try:
            result = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                domain=options["domain"],
                admin_email=options["admin_email"],
                admin_password=options.get("admin_password"),
                timezone=options["timezone"],
                currency=options["currency"],
                postal_address=options["postal_address"],
            )
        except ProvisioningError as exc:
            raise CommandError(f"tenant not created: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"tenant {result.tenant.slug} created (schema {result.tenant.schema_name}) "
                f"at http://{result.domain.domain}:8000/admin/"
            )
        )
        self.stdout.write(f"admin: {result.admin.email}")
        if result.password_generated:
            self.stdout.write(f"password: {result.admin_password}")
