"""Users and roles: every write goes through here."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F

from revo.accounts.models import User
from revo.accounts.roles import ROLE_PERMISSIONS, Role, role_has_permission

logger = logging.getLogger(__name__)


def role_groups_sync() -> dict[str, int]:
    """Create or update one group per role in the current schema with exactly the
    permissions the role table grants. Returns the number of permissions per role."""
    permissions = list(Permission.objects.select_related("content_type"))
    counts: dict[str, int] = {}
    with transaction.atomic():
        for role in ROLE_PERMISSIONS:
            group, _ = Group.objects.get_or_create(name=role)
            granted = [
                perm
                for perm in permissions
                if role_has_permission(role, f"{perm.content_type.app_label}.{perm.codename}")
            ]
            group.permissions.set(granted)
            counts[role] = len(granted)
    return counts


def role_groups_sync_after_migrate(*, app_config: AppConfig, **kwargs: Any) -> None:
    """post_migrate hook: once the last app of a migration has created its permissions,
    the schema just migrated gets groups that match the table. The public schema holds
    platform operators only and needs no role groups."""
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if app_config is not with_models[-1] or connection.schema_name == "public":
        return
    role_groups_sync()


def _validate_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(Role.values)
        raise ValidationError({"role": f"unknown role {role!r}; use one of: {allowed}"}) from None


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    role: str,
    full_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a user with a role (and its group). ``password=None`` makes an account that
    cannot log in with a password until one is set."""
    role = _validate_role(role)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid email address"}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"a user with email {email} already exists"})
    user = User(email=email, full_name=full_name, role=role, is_superuser=is_superuser)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    logger.info("user created", extra={"event": "user.created", "user": user.pk, "role": str(role)})
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User | None = None) -> User:
    """Change a user's role: group membership follows and ``permissions_version`` is
    bumped, so every token issued under the old role stops working."""
    role = _validate_role(role)
    locked = User.objects.select_for_update().get(pk=user.pk)
    previous = locked.role
    if previous == role:
        return locked
    locked.role = role
    locked.permissions_version = F("permissions_version") + 1
    locked.save(update_fields=["role", "permissions_version", "updated_at"])
    locked.refresh_from_db(fields=["permissions_version"])
    locked.groups.set([Group.objects.get_or_create(name=role)[0]])
    logger.info(
        "user role changed",
        extra={
            "event": "user.role_changed",
            "user": locked.pk,
            "from_role": previous,
            "to_role": str(role),
            "by": getattr(by, "pk", None),
        },
    )
    return locked


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user
