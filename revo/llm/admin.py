"""Admin: prompt versions (list, view, diff, new version, activate), the LLM call log and
auto-approval rules. Prompt versions are never edited in place."""

from __future__ import annotations

import difflib
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from revo.llm.definitions import definition_validate
from revo.llm.models import AutoApprovalRule, LLMCall, PromptTemplate
from revo.llm.selectors import llm_call_stats_by_prompt_version
from revo.llm.services import (
    CONTENT_FIELDS,
    auto_approval_rule_save,
    prompt_activate,
    prompt_version_create,
)

DIFF_FIELDS = ("system_text", "user_template", *CONTENT_FIELDS[2:], "note")


def _field_text(prompt: PromptTemplate, name: str) -> list[str]:
    value = getattr(prompt, name)
    if not isinstance(value, str):
        value = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return value.splitlines()


def prompt_diff(old: PromptTemplate, new: PromptTemplate) -> list[dict[str, Any]]:
    """Per definition field, the unified diff lines (with a CSS class each) between two
    versions; unchanged fields have no lines."""
    sections = []
    for name in DIFF_FIELDS:
        lines = list(
            difflib.unified_diff(
                _field_text(old, name),
                _field_text(new, name),
                fromfile=f"v{old.version}",
                tofile=f"v{new.version}",
                lineterm="",
            )
        )
        styled = [
            {
                "text": line,
                "css": "hunk"
                if line.startswith("@@")
                else "add"
                if line.startswith("+") and not line.startswith("+++")
                else "del"
                if line.startswith("-") and not line.startswith("---")
                else "ctx",
            }
            for line in lines
        ]
        sections.append({"field": name, "changed": bool(lines), "lines": styled})
    return sections


class PromptVersionForm(forms.ModelForm):
    activate = forms.BooleanField(
        required=False, initial=True, help_text="Make this version the active one."
    )

    class Meta:
        model = PromptTemplate
        fields = ("key", *CONTENT_FIELDS, "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "inputs" in self.fields:
            self.fields["inputs"].required = False  # a prompt may take no inputs: []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        fields = {name: cleaned.get(name) for name in ("key", *CONTENT_FIELDS)}
        for name in ("options", "fallback_template", "validators"):
            fields[name] = fields[name] or {}
        fields["inputs"] = fields["inputs"] or []
        fields["model"] = fields["model"] or ""
        try:
            definition_validate(fields)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    form = PromptVersionForm
    list_display = (
        "key",
        "version",
        "is_active",
        "source",
        "author",
        "short_sha",
        "created_at",
        "diff_with_previous",
    )
    list_filter = ("is_active", "source", "key")
    search_fields = ("key", "note")
    ordering = ("key", "-version")
    actions = ("activate_version", "diff_selected")

    @admin.display(description="sha256")
    def short_sha(self, obj: PromptTemplate) -> str:
        return obj.sha256[:12]

    @admin.display(description="diff")
    def diff_with_previous(self, obj: PromptTemplate) -> str:
        if obj.version <= 1:
            return "–"
        previous = PromptTemplate.objects.filter(key=obj.key, version__lt=obj.version).first()
        if previous is None:
            return "–"
        url = reverse("admin:llm_prompttemplate_diff", args=[previous.pk, obj.pk])
        return format_html('<a href="{}">v{} → v{}</a>', url, previous.version, obj.version)

    @admin.display(description="new version")
    def new_version_link(self, obj: PromptTemplate) -> str:
        url = reverse("admin:llm_prompttemplate_add") + f"?copy_from={obj.pk}"
        return format_html('<a class="button" href="{}">Save as new version…</a>', url)

    def get_fields(self, request: HttpRequest, obj: PromptTemplate | None = None) -> list[str]:
        if obj is None:
            return ["key", *CONTENT_FIELDS, "note", "activate"]
        return [
            "new_version_link",
            "key",
            "version",
            "is_active",
            "source",
            "author",
            "sha256",
            "created_at",
            *CONTENT_FIELDS,
            "note",
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: PromptTemplate | None = None
    ) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        source_pk = request.GET.get("copy_from")
        if source_pk and source_pk.isdigit():
            base = PromptTemplate.objects.filter(pk=int(source_pk)).first()
            if base is not None:
                initial.update({name: getattr(base, name) for name in ("key", *CONTENT_FIELDS)})
                initial["note"] = f"based on v{base.version}"
        return initial

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("prompt versions are immutable; save a new version instead")
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: PromptTemplate, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        created = prompt_version_create(
            key=data["key"],
            system_text=data["system_text"],
            user_template=data["user_template"],
            output_schema=data["output_schema"],
            inputs=data["inputs"] or [],
            model=data["model"] or "",
            options=data["options"] or {},
            fallback_template=data["fallback_template"] or {},
            validators=data["validators"] or {},
            author=request.user,
            note=data["note"],
            activate=data["activate"],
        )
        # The admin goes on to log and redirect to ``obj``: point it at the new version.
        obj.pk = created.pk
        obj.version = created.version
        obj.is_active = created.is_active
        obj.sha256 = created.sha256
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Activate the selected version (also: roll back)")
    def activate_version(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        activated = prompt_activate(prompt=queryset.get(), by=request.user)
        self.message_user(request, f"{activated.key} v{activated.version} is now active.")

    @admin.action(description="Compare the two selected versions")
    def diff_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        selected = list(queryset.order_by("key", "version"))
        if len(selected) != 2:
            self.message_user(request, "Select exactly two versions to compare.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:llm_prompttemplate_diff", args=[selected[0].pk, selected[1].pk])
        )

    def get_urls(self) -> list:
        return [
            path(
                "<int:old_pk>/diff/<int:new_pk>/",
                self.admin_site.admin_view(self.diff_view),
                name="llm_prompttemplate_diff",
            ),
            *super().get_urls(),
        ]

    def diff_view(self, request: HttpRequest, old_pk: int, new_pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        old = get_object_or_404(PromptTemplate, pk=old_pk)
        new = get_object_or_404(PromptTemplate, pk=new_pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{old.key} v{old.version} → {new.key} v{new.version}",
            "old": old,
            "new": new,
            "sections": prompt_diff(old, new),
        }
        return TemplateResponse(request, "admin/llm/prompttemplate/diff.html", context)


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "prompt_key",
        "prompt_version",
        "backend_label",
        "model",
        "status",
        "latency",
        "prompt_tokens",
        "completion_tokens",
        "attempts",
        "confidence",
        "agent",
    )
    list_filter = (
        "status",
        "backend",
        "model",
        "prompt_key",
        "agent",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("prompt_key", "error", "run_id")
    date_hierarchy = "created_at"
    list_select_related = ()

    def get_urls(self) -> list:
        return [
            path(
                "stats/",
                self.admin_site.admin_view(self.stats_view),
                name="llm_llmcall_stats",
            ),
            *super().get_urls(),
        ]

    def stats_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "LLM calls per prompt version",
            "rows": llm_call_stats_by_prompt_version(),
        }
        return TemplateResponse(request, "admin/llm/llmcall/stats.html", context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "stats_url": reverse("admin:llm_llmcall_stats")}
        return super().changelist_view(request, extra_context)

    @admin.display(description="backend", ordering="backend")
    def backend_label(self, obj: LLMCall) -> str:
        if obj.is_template:
            return format_html(
                '<strong title="{}">TEMPLATE (no model)</strong>',
                "Rendered from the prompt's fallback template; no language model was called.",
            )
        return obj.backend

    @admin.display(description="latency (ms)", ordering="latency_ms")
    def latency(self, obj: LLMCall) -> str:
        return f"{obj.latency_ms:.0f}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AutoApprovalRule)
class AutoApprovalRuleAdmin(admin.ModelAdmin):
    list_display = (
        "action_type",
        "enabled",
        "min_confidence",
        "max_amount",
        "currency",
        "sample_rate",
    )
    list_filter = ("enabled",)
    fields = ("action_type", "enabled", "min_confidence", "max_amount", "currency", "sample_rate")

    def save_model(
        self, request: HttpRequest, obj: AutoApprovalRule, form: forms.ModelForm, change: bool
    ) -> None:
        saved = auto_approval_rule_save(
            action_type=obj.action_type,
            min_confidence=obj.min_confidence,
            enabled=obj.enabled,
            max_amount=obj.max_amount,
            currency=obj.currency,
            sample_rate=obj.sample_rate,
        )
        obj.pk = saved.pk
        obj._state.adding = False
