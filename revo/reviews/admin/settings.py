"""The tenant's review rules: one row, edited through the review settings service."""

from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from revo.core.admin import SingletonAdmin
from revo.reviews.models import ReviewSettings
from revo.reviews.services import review_settings_update


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(SingletonAdmin):
    fields = ("forbid_self_approval", "updated_at")
    readonly_fields = ("updated_at",)

    def save_model(
        self, request: HttpRequest, obj: ReviewSettings, form: ModelForm, change: bool
    ) -> None:
        saved = review_settings_update(
            forbid_self_approval=form.cleaned_data["forbid_self_approval"]
        )
        obj.pk = saved.pk
