"""Bearer JWT authentication bound to the host's tenant and the user's current role."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from revo.accounts.models import User
from revo.api.tokens import TokenRefused, token_user


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt's access-token check (signature with the pinned algorithm, expiry, type),
    then: issued for this host's tenant, user active, permissions version unchanged."""

    def get_user(self, validated_token: Token) -> User:
        try:
            return token_user(validated_token.payload)
        except TokenRefused as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from None
