from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone
from django_tenants.models import DomainMixin, TenantMixin


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone")


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR)")


class Tenant(TenantMixin):
    """A customer company. Its data lives in the PostgreSQL schema ``schema_name``."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    is_active = models.BooleanField(default=True)
    is_template = models.BooleanField(
        default=False, help_text="The migrated schema new tenants are cloned from."
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    default_currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    postal_address = models.TextField(
        blank=True, help_text="Printed in the footer of every outbound email."
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    # Schemas are created by the provisioning service (cloned from the template), and
    # dropped with the tenant.
    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool | None:
        """django-tenants' schema creation, with the template copied by
        ``revo.tenancy.schema_clone`` (its time does not grow with the number of tenants);
        a template it cannot copy goes to django-tenants' general clone."""
        from django.core.management import call_command
        from django.db import connection
        from django_tenants.postgresql_backend.base import _check_schema_name
        from django_tenants.utils import get_creation_fakes_migrations, schema_exists

        from revo.tenancy.schema_clone import CloneUnsupported, clone_schema

        base_schema = self.get_base_schema() if get_creation_fakes_migrations() else False
        if not (sync_schema and base_schema and schema_exists(base_schema)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        _check_schema_name(self.schema_name)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        try:
            clone_schema(base_schema, self.schema_name)
        except CloneUnsupported:
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        call_command(
            "migrate_schemas",
            tenant=True,
            fake=True,
            schema_name=self.schema_name,
            interactive=False,
            verbosity=verbosity,
        )
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
