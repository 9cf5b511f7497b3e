"""Admin actions that call a service per selected object and report each outcome; the
ones that need a reason ask for it on an intermediate page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from revo.core.exceptions import DomainError


def apply_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    apply: Callable[[Any], Any],
    verb: str,
) -> None:
    done = 0
    for obj in queryset:
        try:
            apply(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb}: {done}", messages.SUCCESS)


def with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    apply: Callable[[Model, str], Any],
) -> TemplateResponse | None:
    """First call: a page asking for the reason. Second call (with ``apply``): run
    ``apply(obj, reason)`` for each selected object."""
    reason = (request.POST.get("reason") or "").strip()
    if request.POST.get("apply") and reason:
        apply_each(modeladmin, request, queryset, lambda obj: apply(obj, reason), title)
        return None
    if request.POST.get("apply"):
        modeladmin.message_user(request, "a reason is required", messages.ERROR)
    return TemplateResponse(
        request,
        "admin/deals/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": list(queryset),
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )
