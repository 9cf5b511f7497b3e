from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse

from revo.deals.admin_actions import apply_each, with_reason
from revo.deals.models import BANT_DIMENSIONS, Deal, DealProposal, DealStage
from revo.deals.services import deal_advance, deal_mark_lost, deal_mark_won, deal_update

EDITABLE_DEAL_FIELDS = (
    "name",
    "amount",
    "probability",
    "expected_close_date",
    "next_step",
    "owner",
    *(f for d in BANT_DIMENSIONS for f in (d, f"{d}_rationale")),
)


class DealProposalInline(admin.TabularInline):
    model = DealProposal
    fields = ("summary", "proposed_amount", "currency", "next_step", "review_status", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    """Deals are opened from qualified leads (``deal_create_from_lead``); here they are
    edited through ``deal_update`` and moved through their stages by actions."""

    list_display = (
        "name",
        "lead_company",
        "lead",
        "amount",
        "currency",
        "stage",
        "probability",
        "owner",
        "expected_close_date",
    )
    list_filter = ("stage", "owner", "currency", "expected_close_date")
    search_fields = ("name", "lead__email", "lead__company", "lead__last_name", "next_step")
    list_select_related = ("lead", "owner")
    ordering = ("-created_at",)
    date_hierarchy = "expected_close_date"
    readonly_fields = (
        "lead",
        "currency",
        "stage",
        "stage_changed_at",
        "lost_reason",
        "won_at",
        "lost_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("lead", "name", "amount", "currency", "owner")}),
        (
            "Pipeline",
            {
                "fields": (
                    "stage",
                    "probability",
                    "expected_close_date",
                    "next_step",
                    "stage_changed_at",
                    "won_at",
                    "lost_at",
                    "lost_reason",
                )
            },
        ),
        (
            "Qualification (BANT)",
            {"fields": tuple(f for d in BANT_DIMENSIONS for f in (d, f"{d}_rationale"))},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (DealProposalInline,)
    actions = ("advance_to_proposal", "advance_to_negotiation", "mark_won", "mark_lost")

    @admin.display(description="company", ordering="lead__company")
    def lead_company(self, obj: Deal) -> str:
        return obj.lead.company

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Deal | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Deal | None = None) -> bool:
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Deal, form: ModelForm, change: bool) -> None:
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in EDITABLE_DEAL_FIELDS
        }
        deal_update(deal=obj, by=request.user, reason="edited in admin", **changed)

    def _advance(self, request: HttpRequest, queryset: QuerySet, to: str) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda deal: deal_advance(deal=deal, to=to, by=request.user, reason="admin action"),
            f"moved to {to}",
        )

    @admin.action(description="Advance to proposal", permissions=["change"])
    def advance_to_proposal(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._advance(request, queryset, DealStage.PROPOSAL)

    @admin.action(description="Advance to negotiation", permissions=["change"])
    def advance_to_negotiation(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._advance(request, queryset, DealStage.NEGOTIATION)

    @admin.action(description="Mark won", permissions=["change"])
    def mark_won(self, request: HttpRequest, queryset: QuerySet) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda deal: deal_mark_won(deal=deal, by=request.user, reason="admin action"),
            "marked won",
        )

    @admin.action(description="Mark lost (asks for the reason)", permissions=["change"])
    def mark_lost(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="mark_lost",
            title="Mark lost",
            apply=lambda deal, reason: deal_mark_lost(deal=deal, reason=reason, by=request.user),
        )


@admin.register(DealProposal)
class DealProposalAdmin(admin.ModelAdmin):
    """Read-only here: proposals are decided in the review queue."""

    list_display = (
        "deal",
        "proposed_amount",
        "currency",
        "review_status",
        "agent",
        "confidence",
        "created_at",
    )
    list_filter = ("review_status", "agent")
    search_fields = ("deal__name", "deal__lead__company", "summary")
    list_select_related = ("deal",)
    readonly_fields = tuple(f.name for f in DealProposal._meta.fields if f.name not in ("id",))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
