"""Every API view declares the permission it needs; one permission class checks it against
the role table (``revo.accounts.roles``).

    class LeadList(ApiView):
        required_permission = "leads.view_lead"            # every method
    class LeadDetail(ApiView):
        required_permission = {"GET": "leads.view_lead", "PATCH": "leads.change_lead"}

``PUBLIC`` opens a view to anyone (sign-in, schema); ``AUTHENTICATED`` to any signed-in
user (their own profile, sign-out). A view declaring nothing is refused by the system check
``api.E001`` and answers 500 if it is reached anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from revo.accounts.roles import role_has_permission

PUBLIC = "__public__"
AUTHENTICATED = "__authenticated__"

Requirement = str | Mapping[str, str]


class _Undeclared:
    def __repr__(self) -> str:
        return "UNDECLARED"


UNDECLARED: Any = _Undeclared()


def declared_requirement(view_class: type) -> Requirement | None:
    """The view's declaration, or ``None`` if it has none."""
    requirement = getattr(view_class, "required_permission", UNDECLARED)
    if requirement is UNDECLARED or requirement is None:
        return None
    return requirement


def required_permission_for(view_class: type, method: str) -> str | None:
    """The permission a method of a view needs (``HEAD`` follows ``GET``; ``OPTIONS``
    needs a signed-in user), or ``None`` when the view does not say."""
    requirement = declared_requirement(view_class)
    if requirement is None:
        return None
    if isinstance(requirement, str):
        return requirement
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return requirement.get("OPTIONS", AUTHENTICATED)
    return requirement.get(method)


def role_allows(role: str | None, permission: str) -> bool:
    """Whether a role (``None``: anonymous) passes a requirement."""
    if permission == PUBLIC:
        return True
    if role is None:
        return False
    return permission == AUTHENTICATED or role_has_permission(role, permission)


class HasRequiredPermission(BasePermission):
    """The default permission class of the API."""

    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        permission = required_permission_for(type(view), request.method or "GET")
        if permission is None:
            raise ImproperlyConfigured(
                f"{type(view).__name__} declares no required_permission for {request.method}"
            )
        user = request.user
        role = user.role if user is not None and user.is_authenticated else None
        return role_allows(role, permission)


class IsPlatformOperator(BasePermission):
    """Platform operators: superusers of the public schema, on the public host."""

    message = "Only platform operators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            connection.schema_name == "public"
            and user is not None
            and user.is_authenticated
            and user.is_superuser
        )
