"""The tenant's agent settings in the admin: one row, edited through the settings service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import construct_instance
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from revo.agents.models import AgentSettings
from revo.agents.services_settings import (
    EDITABLE_FIELDS,
    agent_settings_check,
    agent_settings_update,
)
from revo.audit.selectors import history_for
from revo.core.admin import SingletonAdmin


class AgentSettingsForm(forms.ModelForm):
    """Shows the service's checks as field errors; the service normalises and saves."""

    class Meta:
        model = AgentSettings
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        changes = {k: data[k] for k in self.changed_data if k in data and k not in self.errors}
        cleaned, errors = agent_settings_check(current=self.instance, changes=changes)
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
        data.update({k: v for k, v in cleaned.items() if k not in errors})
        return data

    def _post_clean(self) -> None:
        # The checks above replace the model's own validation; the service saves.
        self.instance = construct_instance(self, self.instance, self._meta.fields)


@admin.register(AgentSettings)
class AgentSettingsAdmin(SingletonAdmin):
    form = AgentSettingsForm
    readonly_fields = ("updated_at", "history")
    fieldsets = (
        (
            "Ideal customer profile",
            {
                "fields": (
                    "icp",
                    "target_industries",
                    "target_countries",
                    "min_company_size",
                    "max_company_size",
                )
            },
        ),
        ("Lead scoring", {"fields": ("scoring_weights", "source_scores", "model_weight_pct")}),
        ("Follow-ups", {"fields": ("follow_up_after_days", "max_follow_ups")}),
        (
            "Senders",
            {
                "fields": (
                    "sender_name",
                    "sender_title",
                    "sender_company",
                    "finance_sender_name",
                    "finance_sender_title",
                )
            },
        ),
        (
            "Offer",
            {
                "fields": (
                    "offering_name",
                    "offering_pitch",
                    "offering_summary",
                    "offer_package",
                    "contract_term_months",
                )
            },
        ),
        ("History", {"fields": ("history", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not super().has_add_permission(request):
            return False
        # asked once per page by the sidebar and again by the views: one query a request
        if not hasattr(request, "_agent_settings_stored"):
            request._agent_settings_stored = self.singleton() is not None
        return not request._agent_settings_stored

    def save_model(
        self, request: HttpRequest, obj: AgentSettings, form: forms.ModelForm, change: bool
    ) -> None:
        changes = {k: form.cleaned_data[k] for k in form.changed_data if k in EDITABLE_FIELDS}
        saved = agent_settings_update(by=request.user, reason="edited in admin", **changes)
        obj.pk = saved.pk

    @admin.display(description="history")
    def history(self, obj: AgentSettings) -> SafeString | str:
        if obj.pk is None:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (timezone.localtime(r.at).strftime("%Y-%m-%d %H:%M"), r.actor, r.reason)
                for r in history_for(obj).order_by("-at", "-id")[:20]
            ),
        )
        return format_html(
            "<table><thead><tr><th>at</th><th>by</th><th>change</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )
