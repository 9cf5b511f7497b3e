"""Roles and what they may do: the single source of truth.

Each role maps to permission patterns over ``"<app_label>.<codename>"`` (``fnmatch``
syntax). The same table answers API permission checks (``role_has_permission``) and is
materialised as one Django group per role (``services.role_groups_sync``), so Django admin
respects it too. A model added later is covered by the patterns without touching this file,
unless it needs a role of its own.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SALES = "sales", "Sales"
    SDR = "sdr", "SDR"
    FINANCE = "finance", "Finance"
    VIEWER = "viewer", "Viewer"


# Business data every role can read.
DOMAIN_APPS = ("leads", "deals", "contracts", "billing", "reviews", "agents", "llm", "mail")
_READ_ALL = tuple(f"{app}.view_*" for app in DOMAIN_APPS)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Full tenant control: users and roles, prompts, policies, retries, overrides.
    Role.ADMIN: ("*",),
    # Leads, deals and negotiation; decides deal proposals and contracts.
    Role.SALES: (
        *_READ_ALL,
        "leads.*",
        "deals.*",
        # contracts, their lines and negotiation rounds; pricing policy and price list are
        # the admin's
        "contracts.*_contract",
        "contracts.*_contractline",
        "contracts.*_negotiationround",
        "reviews.decide_deal",
        "reviews.decide_contract",
        "agents.run_sales",
        "agents.run_negotiation",
    ),
    # Prospecting: leads, outreach and replies; decides outreach.
    Role.SDR: (
        *_READ_ALL,
        "leads.*",
        "reviews.decide_outreach",
        "agents.run_sdr",
    ),
    # Invoices, payments and dunning; decides invoices and dunning notices.
    Role.FINANCE: (
        *_READ_ALL,
        "billing.*",
        "reviews.decide_invoice",
        "reviews.decide_dunning",
        "agents.run_finance",
    ),
    # Reads everything a reviewer sees; changes nothing.
    Role.VIEWER: _READ_ALL,
}


def role_has_permission(role: str, permission: str) -> bool:
    """Whether ``role`` grants ``permission`` (``"app_label.codename"``)."""
    return any(fnmatchcase(permission, pattern) for pattern in ROLE_PERMISSIONS.get(role, ()))
