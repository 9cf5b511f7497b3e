"""The demo tenant ``acme`` with one user per role; safe to run again and again."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import schema_context

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.accounts.services import user_create, user_set_password, user_set_role
from revo.embedded import revo_home
from revo.mail.services.compliance import mail_settings_update
from revo.tenancy.models import Tenant
from revo.tenancy.services import public_tenant_ensure, tenant_provision, tenant_setup_refresh

DEMO_SLUG = "acme"
DEMO_DOMAIN = "acme.localhost"
DEMO_EMAIL_DOMAIN = "acme.example"


@dataclass(frozen=True)
class DemoSetup:
    tenant: Tenant
    created: bool
    users: dict[str, str]  # role -> email
    password: str
    password_source: str


def demo_password() -> tuple[str, str]:
    """``REVO_DEMO_PASSWORD`` if set; otherwise one generated on the first run and kept in
    ``.revo/demo-password`` so later runs print the same one."""
    if settings.REVO_DEMO_PASSWORD:
        return settings.REVO_DEMO_PASSWORD, "REVO_DEMO_PASSWORD"
    path = revo_home() / "demo-password"
    if path.exists():
        return path.read_text().strip(), str(path)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    os.chmod(path, 0o600)
    return password, str(path)


def demo_setup() -> DemoSetup:
    public_tenant_ensure(domain="localhost")
    password, source = demo_password()
    users = {role: f"{role}@{DEMO_EMAIL_DOMAIN}" for role in Role.values}
    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    created = tenant is None
    if created:
        tenant = tenant_provision(
            slug=DEMO_SLUG,
            name="Acme Industries",
            domain=DEMO_DOMAIN,
            admin_email=users[Role.ADMIN],
            admin_password=password,
            timezone="Europe/Berlin",
            currency="EUR",
            postal_address="Acme Industries GmbH\nHauptstraße 1\n10115 Berlin\nGermany",
        ).tenant
    else:
        tenant_setup_refresh(tenant=tenant)
    with schema_context(tenant.schema_name):
        # The demo sends (to the sandbox) at any hour, so an approval shows its email at once.
        mail_settings_update(
            from_name="Acme Industries",
            from_email=f"sales@{DEMO_EMAIL_DOMAIN}",
            business_hours_only=False,
        )
        for role, email in users.items():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user_create(email=email, password=password, role=role, full_name=role.title())
                continue
            if user.role != role:
                user_set_role(user=user, role=role)
            if not user.check_password(password):
                user_set_password(user=user, password=password)
    return DemoSetup(
        tenant=tenant, created=created, users=users, password=password, password_source=source
    )
