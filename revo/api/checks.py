"""System check ``api.E001``: every API view reachable from the URL configurations
declares the permission each of its methods needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

from revo.api.permissions import declared_requirement, required_permission_for

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def iter_patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route string, resolvers flattened."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from iter_patterns(pattern.url_patterns, route)
        else:
            yield route, pattern


def api_views(urlconf: str) -> Iterator[tuple[str, type]]:
    """``(route, view class)`` of every DRF view under ``api/`` in ``urlconf``."""
    from rest_framework.views import APIView

    for route, pattern in iter_patterns(get_resolver(urlconf).url_patterns):
        view_class = getattr(pattern.callback, "cls", None)
        if route.startswith("api/") and view_class and issubclass(view_class, APIView):
            yield route, view_class


def view_methods(view_class: type) -> list[str]:
    return [m.upper() for m in HTTP_METHODS if hasattr(view_class, m)]


@register("api")
def check_permissions_declared(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for urlconf in dict.fromkeys((settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF)):
        for route, view_class in api_views(urlconf):
            missing = (
                view_methods(view_class)
                if declared_requirement(view_class) is None
                else [
                    method
                    for method in view_methods(view_class)
                    if required_permission_for(view_class, method) is None
                ]
            )
            if missing:
                errors.append(
                    Error(
                        f"{view_class.__module__}.{view_class.__qualname__} at /{route} "
                        f"declares no required_permission for {', '.join(missing)}",
                        hint="Set required_permission to a permission, PUBLIC or "
                        "AUTHENTICATED, or a mapping per HTTP method.",
                        obj=view_class,
                        id="api.E001",
                    )
                )
    return errors
