"""Admin building blocks shared by the apps."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class SingletonAdmin(admin.ModelAdmin):
    """The admin of a one-row settings model: no list (straight to the row, or to adding
    it when there is none), no second row, no delete."""

    def singleton(self) -> models.Model | None:
        return self.model.objects.order_by("pk").first()

    def _admin_url(self, view: str, *args: Any) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        existing = self.singleton()
        if existing is not None:
            return HttpResponseRedirect(self._admin_url("change", existing.pk))
        if self.has_add_permission(request):
            return HttpResponseRedirect(self._admin_url("add"))
        return super().changelist_view(request, extra_context)

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        existing = self.singleton()
        if existing is not None:
            return HttpResponseRedirect(self._admin_url("change", existing.pk))
        return super().add_view(request, form_url, extra_context)
