from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from revo.core.exceptions import DomainError
from revo.leads.csv_import import leads_import_csv
from revo.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file into a tenant. Prints created / updated / skipped / "
        "error rows with row numbers (the header is row 1). Exits 1 when the file is refused "
        "(nothing is written then), 0 otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. acme")
        parser.add_argument(
            "--on-existing",
            choices=("update", "skip"),
            default="skip",
            help="what to do with an email that already has a lead (default: skip)",
        )
        parser.add_argument("--source", default="", help="source recorded on created leads")

    def handle(self, *args: object, **options: str) -> None:
        slug = options["tenant"]
        tenant = Tenant.objects.filter(slug=slug, is_template=False).first()
        if tenant is None or tenant.schema_name == "public":
            raise CommandError(f"no tenant {slug!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        data = path.read_bytes()
        with schema_context(tenant.schema_name):
            try:
                report = leads_import_csv(
                    file=data, on_existing=options["on_existing"], source=options["source"]
                )
            except DomainError as exc:
                raise CommandError(f"{path.name}: {exc.message}; nothing was imported") from None
        self.stdout.write(report.as_text())
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(f"{path.name} imported into {slug}: {report.summary()}"))
