"""JWTs of Revo: simplejwt tokens carrying the tenant, the role and the permissions version.

Claims: ``sub`` (user id), ``tenant`` (schema name), ``role``, ``permissions_version``,
``exp``, ``iat``, ``jti`` (plus simplejwt's ``token_type``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from revo.accounts.models import User

TENANT_CLAIM = "tenant"
ROLE_CLAIM = "role"
PERMISSIONS_VERSION_CLAIM = "permissions_version"


class TokenRefused(Exception):  # noqa: N818 - reads as the outcome
    """A token is well-formed but may not be used (other tenant, stale role, blacklisted,
    unknown or inactive user)."""


class RevoRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user: User) -> RevoRefreshToken:  # type: ignore[override]
        token = cls()
        token["sub"] = str(user.pk)
        token[TENANT_CLAIM] = connection.schema_name
        token[ROLE_CLAIM] = user.role
        token[PERMISSIONS_VERSION_CLAIM] = user.permissions_version
        OutstandingToken.objects.create(
            user=user,
            jti=token["jti"],
            token=str(token),
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        return token


def token_user(payload: dict[str, Any]) -> User:
    """The user a token (access or refresh) stands for, on this tenant's host, with the
    permissions it was issued under; ``TokenRefused`` otherwise."""
    if payload.get(TENANT_CLAIM) != connection.schema_name:
        raise TokenRefused("This token was issued for another tenant.")
    try:
        user = User.objects.get(pk=int(payload.get("sub", "")))
    except (User.DoesNotExist, ValueError):
        raise TokenRefused("The token's user does not exist.") from None
    if not user.is_active:
        raise TokenRefused("The token's user is inactive.")
    if payload.get(PERMISSIONS_VERSION_CLAIM) != user.permissions_version:
        raise TokenRefused("The user's permissions changed; sign in again.")
    return user


def access_token_issue(*, user: User) -> str:
    """An access token alone (no refresh token, nothing written): for service accounts,
    scripts and tests."""
    token = AccessToken()
    token["sub"] = str(user.pk)
    token[TENANT_CLAIM] = connection.schema_name
    token[ROLE_CLAIM] = user.role
    token[PERMISSIONS_VERSION_CLAIM] = user.permissions_version
    return str(token)


def token_pair_issue(*, user: User) -> dict[str, str]:
    refresh = RevoRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _refresh_token_parse(raw: str) -> RevoRefreshToken:
    try:
        return RevoRefreshToken(raw)
    except TokenError as exc:
        raise TokenRefused(str(exc)) from None


@transaction.atomic
def token_pair_rotate(*, refresh: str) -> dict[str, str]:
    """Exchange a refresh token for a new pair; the old one is blacklisted. Two concurrent
    rotations of one token: the row lock lets exactly one succeed."""
    token = _refresh_token_parse(refresh)
    user = token_user(token.payload)
    outstanding = (
        OutstandingToken.objects.order_by().select_for_update().filter(jti=token["jti"]).first()
    )
    if outstanding is None:
        raise TokenRefused("Unknown refresh token.")
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise TokenRefused("Token is blacklisted")
    BlacklistedToken.objects.create(token=outstanding)
    return token_pair_issue(user=user)


@transaction.atomic
def token_revoke(*, refresh: str, user: User) -> str:
    """Blacklist a refresh token of ``user`` (sign-out); returns its ``jti``."""
    token = _refresh_token_parse(refresh)
    if token.payload.get(TENANT_CLAIM) != connection.schema_name or token.payload.get("sub") != str(
        user.pk
    ):
        raise TokenRefused("This refresh token is not yours.")
    outstanding = (
        OutstandingToken.objects.order_by().select_for_update().filter(jti=token["jti"]).first()
    )
    if outstanding is None:
        raise TokenRefused("Unknown refresh token.")
    BlacklistedToken.objects.get_or_create(token=outstanding)
    return str(token["jti"])
