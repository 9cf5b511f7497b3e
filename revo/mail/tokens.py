"""Signed one-click unsubscribe tokens: the tenant's schema and the address, signed with
``SECRET_KEY`` under a salt of their own. They never expire: an unsubscribe link in an old
email must keep working."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

UNSUBSCRIBE_SALT = "revo.mail.unsubscribe"


class UnsubscribeTokenError(Exception):
    """The token is malformed, tampered with or not for this tenant."""


@dataclass(frozen=True)
class UnsubscribeClaim:
    schema: str
    email: str


def unsubscribe_token_make(*, schema: str, email: str) -> str:
    return signing.dumps({"s": schema, "e": email.strip().lower()}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(token: str, *, schema: str) -> UnsubscribeClaim:
    """The claim of a valid token for tenant ``schema``; ``UnsubscribeTokenError`` otherwise."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise UnsubscribeTokenError("the unsubscribe link is invalid") from None
    if not isinstance(payload, dict) or not {"s", "e"} <= payload.keys():
        raise UnsubscribeTokenError("the unsubscribe link is invalid")
    if payload["s"] != schema:
        raise UnsubscribeTokenError("the unsubscribe link belongs to another sender")
    return UnsubscribeClaim(schema=payload["s"], email=str(payload["e"]))
