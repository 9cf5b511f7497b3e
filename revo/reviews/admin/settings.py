"""The tenant's review rules: one row, edited through the review settings service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from revo.reviews.models import ReviewSettings
from revo.reviews.services import review_settings_update


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    fields = ("forbid_self_approval", "updated_at")
    readonly_fields = ("updated_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """A singleton has no list: go straight to the one row (or create it)."""
        existing = ReviewSettings.objects.order_by("pk").first()
        if existing is not None:
            return HttpResponseRedirect(
                reverse("admin:reviews_reviewsettings_change", args=[existing.pk])
            )
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:reviews_reviewsettings_add"))
        return super().changelist_view(request, extra_context)

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        existing = ReviewSettings.objects.order_by("pk").first()
        if existing is not None:
            return HttpResponseRedirect(
                reverse("admin:reviews_reviewsettings_change", args=[existing.pk])
            )
        return super().add_view(request, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: ReviewSettings, form: ModelForm, change: bool
    ) -> None:
        saved = review_settings_update(
            forbid_self_approval=form.cleaned_data["forbid_self_approval"]
        )
        obj.pk = saved.pk
