from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from revo.accounts.models import User
from revo.accounts.roles import ROLE_PERMISSIONS, Role, role_has_permission
from revo.accounts.services import role_groups_sync, user_create, user_set_role
from tests.factories import UserFactory


def _code(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def test_every_role_has_a_group_with_exactly_its_permissions(tenant):
    Group.objects.get(name=Role.VIEWER).permissions.add(
        Permission.objects.get(codename="change_user")
    )  # drift that a sync must undo

    role_groups_sync()

    everything = {_code(p) for p in Permission.objects.select_related("content_type")}
    for role in Role.values:
        group = Group.objects.get(name=role)
        granted = {_code(p) for p in group.permissions.select_related("content_type")}
        assert granted == {code for code in everything if role_has_permission(role, code)}
    assert "accounts.change_user" in {
        _code(p) for p in Group.objects.get(name=Role.ADMIN).permissions.all()
    }


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.ADMIN, "accounts.change_user", True),
        (Role.ADMIN, "llm.change_prompttemplate", True),
        (Role.VIEWER, "leads.view_lead", True),
        (Role.VIEWER, "leads.change_lead", False),
        (Role.VIEWER, "accounts.view_user", False),
        (Role.SDR, "leads.add_lead", True),
        (Role.SDR, "reviews.decide_outreach", True),
        (Role.SDR, "reviews.decide_contract", False),
        (Role.SALES, "contracts.change_contract", True),
        (Role.SALES, "contracts.add_negotiationround", True),
        (Role.SALES, "contracts.change_pricingpolicy", False),
        (Role.SALES, "contracts.change_pricelistitem", False),
        (Role.SALES, "billing.change_invoice", False),
        (Role.FINANCE, "billing.add_payment", True),
        (Role.FINANCE, "reviews.decide_dunning", True),
        (Role.FINANCE, "leads.change_lead", False),
        (Role.SALES, "accounts.change_user", False),
    ],
)
def test_role_table_grants_and_denies(role, permission, allowed):
    assert role_has_permission(role, permission) is allowed


def test_role_table_covers_every_role():
    assert set(ROLE_PERMISSIONS) == set(Role.values)


def test_admin_respects_role_groups(tenant):
    viewer = UserFactory(role=Role.VIEWER)
    admin = UserFactory(role=Role.ADMIN)

    assert viewer.has_perm("accounts.view_user") is False
    assert viewer.has_perm("accounts.change_user") is False
    assert admin.has_perm("accounts.change_user") is True
    assert not viewer.is_superuser
    assert not admin.is_superuser


def test_role_change_bumps_permissions_version_and_moves_group(tenant):
    user = UserFactory(role=Role.VIEWER)
    assert user.permissions_version == 1

    changed = user_set_role(user=user, role=Role.ADMIN)

    assert changed.permissions_version == 2
    assert changed.role == Role.ADMIN
    assert list(changed.groups.values_list("name", flat=True)) == [Role.ADMIN]
    assert User.objects.get(pk=user.pk).has_perm("accounts.change_user")


def test_setting_the_same_role_does_not_bump_the_version(tenant):
    user = UserFactory(role=Role.SDR)

    assert user_set_role(user=user, role=Role.SDR).permissions_version == 1


def test_unknown_role_is_refused(tenant):
    user = UserFactory()
    with pytest.raises(ValidationError, match="unknown role"):
        user_set_role(user=user, role="owner")


def test_email_is_unique_case_insensitively(tenant):
    UserFactory(email="case@example.com")

    with pytest.raises(ValidationError, match="already exists"):
        user_create(email="CASE@example.com", password="another-long-password", role="sdr")
