"""Tenant provisioning: one service creates schema, domain, role groups, tenant defaults
and the first admin, or nothing at all."""

from __future__ import annotations

import logging
import re
import secrets
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.accounts.services import user_create
from revo.tenancy.models import Domain, Tenant

logger = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SCHEMAS = {"public", "extensions", "information_schema", "tenant_template"}
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$"
)
# Serialises template creation across processes (pg_advisory_xact_lock key).
_TEMPLATE_LOCK_KEY = 0x52455630  # "REV0"


class ProvisioningError(Exception):
    """Tenant input was refused; nothing was created."""


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    domain: Domain
    admin: User
    admin_password: str
    password_generated: bool


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def tenant_slug_validate(slug: str) -> str:
    """Return the schema name for a valid, free slug or raise ``ProvisioningError``."""
    if not SLUG_RE.match(slug or ""):
        raise ProvisioningError(
            f"invalid slug {slug!r}: use 1-63 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    schema_name = schema_name_for(slug)
    if schema_name in RESERVED_SCHEMAS or schema_name.startswith("pg_"):
        raise ProvisioningError(f"slug {slug!r} is reserved")
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Tenant.objects.filter(schema_name=schema_name).exists()
    ):
        raise ProvisioningError(f"a tenant with slug {slug!r} already exists")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [schema_name]
        )
        if cursor.fetchone():
            raise ProvisioningError(f"schema {schema_name!r} already exists in the database")
    return schema_name


def domain_validate(domain: str) -> str:
    domain = (domain or "").strip().lower()
    if not HOSTNAME_RE.match(domain):
        raise ProvisioningError(
            f"invalid domain {domain!r}: expected a host name such as acme.localhost"
        )
    if Domain.objects.filter(domain=domain).exists():
        raise ProvisioningError(f"domain {domain!r} is already in use")
    return domain


def _validate_settings(*, name: str, timezone: str, currency: str) -> None:
    if not name.strip():
        raise ProvisioningError("tenant name must not be empty")
    if timezone not in zoneinfo.available_timezones():
        raise ProvisioningError(f"unknown time zone {timezone!r}")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ProvisioningError(f"invalid currency {currency!r}: use an ISO 4217 code such as EUR")


def public_tenant_ensure(*, domain: str = "localhost") -> Tenant:
    """The public schema's tenant row and its domain (platform host)."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name="public", defaults={"name": "Platform", "slug": "public", "is_active": True}
    )
    Domain.objects.get_or_create(domain=domain, defaults={"tenant": tenant, "is_primary": True})
    return tenant


def template_tenant_ensure() -> Tenant:
    """The migrated schema every new tenant is cloned from; created (all migrations) once.
    ``migrate_schemas`` keeps it current because it is a tenant row like the others."""
    schema = settings.TENANT_BASE_SCHEMA
    existing = Tenant.objects.filter(schema_name=schema).first()
    if existing:
        return existing
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TEMPLATE_LOCK_KEY])
        existing = Tenant.objects.filter(schema_name=schema).first()
        if existing:
            return existing
        template = Tenant(
            schema_name=schema,
            slug=schema.replace("_", "-"),
            name="Template for new tenants",
            is_active=False,
            is_template=True,
        )
        template.save(verbosity=0)
        logger.info("tenant template created", extra={"event": "tenant.template_created"})
        return template


def _run_setup_steps(tenant: Tenant) -> None:
    with schema_context(tenant.schema_name):
        for path in settings.REVO_TENANT_SETUP_STEPS:
            import_string(path)()


def tenant_setup_refresh(*, tenant: Tenant) -> Tenant:
    """Run the setup steps again in an existing tenant (after an upgrade brought new ones).
    Every step is idempotent: what a tenant already has, or changed, is left alone."""
    with transaction.atomic():
        _run_setup_steps(tenant)
    connection.set_schema_to_public()
    return tenant


def tenant_provision(
    *,
    slug: str,
    name: str,
    domain: str,
    admin_email: str,
    admin_password: str | None = None,
    timezone: str = "UTC",
    currency: str = "EUR",
    postal_address: str = "",
) -> ProvisionResult:
    """Create a tenant: schema (cloned from the template), domain, role groups, defaults and
    the first admin. Invalid input raises ``ProvisioningError`` before anything is written;
    a failure half-way rolls everything back, schema included."""
    connection.set_schema_to_public()
    schema_name = tenant_slug_validate(slug)
    domain = domain_validate(domain)
    _validate_settings(name=name, timezone=timezone, currency=currency)
    admin_email = (admin_email or "").strip().lower()
    try:
        validate_email(admin_email)
    except ValidationError:
        raise ProvisioningError(f"invalid admin email {admin_email!r}") from None
    password_generated = not admin_password
    password = admin_password or secrets.token_urlsafe(12)

    template_tenant_ensure()
    try:
        with transaction.atomic():
            tenant = Tenant(
                schema_name=schema_name,
                slug=slug,
                name=name.strip(),
                timezone=timezone,
                default_currency=currency,
                postal_address=postal_address,
            )
            tenant.save(verbosity=0)
            primary = Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
            _run_setup_steps(tenant)
            with schema_context(schema_name):
                admin = user_create(
                    email=admin_email, password=password, role=Role.ADMIN, full_name="Administrator"
                )
    except ValidationError as exc:
        raise ProvisioningError(_validation_message(exc)) from None
    finally:
        connection.set_schema_to_public()
    logger.info(
        "tenant provisioned",
        extra={"event": "tenant.provisioned", "tenant": schema_name, "domain": domain},
    )
    return ProvisionResult(
        tenant=tenant,
        domain=primary,
        admin=admin,
        admin_password=password,
        password_generated=password_generated,
    )


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


@transaction.atomic
def tenant_deactivate(*, tenant: Tenant) -> Tenant:
    tenant.is_active = False
    tenant.save(update_fields=["is_active"])
    return tenant
