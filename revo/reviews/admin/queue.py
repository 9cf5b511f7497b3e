"""The review queue: every pending artifact of every registered type on one changelist.

Everything a row shows comes from ``ReviewItem`` columns (no generic relation is followed
per row), so a page costs the same queries for 10 rows or 200, for 1,000 items or 100,000.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import OrderBy, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from revo.accounts.roles import role_has_permission
from revo.core.exceptions import DomainError
from revo.reviews import registry, selectors
from revo.reviews.admin.filters import (
    ORDER_PARAM,
    AgeFilter,
    AgentFilter,
    ConfidenceBandFilter,
    EntityTypeFilter,
    OrderingFilter,
    StatusFilter,
)
from revo.reviews.admin.review_page import backend_badge, review_page
from revo.reviews.models import ReviewDecisionKind, ReviewItem
from revo.reviews.services import review_decide_bulk

# Per-item failures listed one by one after a bulk decision; the rest are counted.
BULK_ERRORS_SHOWN = 20
BULK_PREVIEW = 20


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=False)

    def __init__(self, *args: Any, reason_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        self.fields["reason"].label = (
            "Reason (required, recorded on every item)" if reason_required else "Note (optional)"
        )


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = (
        "type_label",
        "title_link",
        "agent",
        "backend",
        "confidence_display",
        "amount_display",
        "flagged",
        "requires_admin",
        "age",
    )
    list_display_links = None
    list_filter = (
        StatusFilter,
        OrderingFilter,
        EntityTypeFilter,
        AgentFilter,
        ConfidenceBandFilter,
        AgeFilter,
    )
    search_fields = ("title",)
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ("bulk_approve", "bulk_reject")

    # -- the queue is maintained by the review services, never edited by hand ----------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(user.is_active and user.has_perm("reviews.view_reviewitem"))

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """May decide at least one registered artifact type (each item is checked again
        by the decision service)."""
        user = request.user
        return bool(user.is_active) and any(
            role_has_permission(user.role, t.permission) for t in registry.artifact_types()
        )

    # -- ordering: oldest first by default, riskiest first on request -------------------

    def get_ordering(self, request: HttpRequest) -> list[str | OrderBy]:
        chosen = request.GET.get(ORDER_PARAM, OrderingFilter.DEFAULT)
        return list(selectors.ORDERINGS.get(chosen, selectors.OLDEST_FIRST))

    # -- columns ------------------------------------------------------------------------

    @admin.display(description="type", ordering="entity_type")
    def type_label(self, obj: ReviewItem) -> str:
        return obj.entity_type

    @admin.display(description="title", ordering="title")
    def title_link(self, obj: ReviewItem) -> str:
        url = reverse("admin:reviews_reviewitem_review", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.title)

    @admin.display(description="LLM backend", ordering="llm_backend")
    def backend(self, obj: ReviewItem) -> str:
        return backend_badge(obj.llm_backend)

    @admin.display(description="confidence", ordering="confidence")
    def confidence_display(self, obj: ReviewItem) -> str:
        return "—" if obj.confidence is None else f"{obj.confidence:.2f}"

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: ReviewItem) -> str:
        return "—" if obj.amount is None else f"{obj.amount:,.2f} {obj.currency}".strip()

    @admin.display(description="flagged", boolean=True, ordering="flagged")
    def flagged(self, obj: ReviewItem) -> bool:
        return obj.flagged

    @admin.display(description="needs admin", boolean=True, ordering="requires_admin")
    def requires_admin(self, obj: ReviewItem) -> bool:
        return obj.requires_admin

    @admin.display(description="age", ordering="created_at")
    def age(self, obj: ReviewItem) -> str:
        return timesince(obj.created_at, depth=1)

    # -- the review page ----------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        review = path(
            "<path:object_id>/review/",
            self.admin_site.admin_view(self.review_view),
            name="reviews_reviewitem_review",
        )
        return [review, *super().get_urls()]

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied("you may not view the review queue")
        return review_page(self, request, object_id)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:reviews_reviewitem_review", args=[object_id]))

    # -- bulk decisions -----------------------------------------------------------------

    @admin.action(description="Approve selected items", permissions=["decide"])
    def bulk_approve(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> Any:
        return self._bulk(request, queryset, ReviewDecisionKind.APPROVE)

    @admin.action(description="Reject selected items (one reason)", permissions=["decide"])
    def bulk_reject(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> Any:
        return self._bulk(request, queryset, ReviewDecisionKind.REJECT)

    def _bulk(
        self, request: HttpRequest, queryset: QuerySet[ReviewItem], decision: ReviewDecisionKind
    ) -> HttpResponse | None:
        reason_required = decision == ReviewDecisionKind.REJECT
        if request.POST.get("post") == "yes":
            form = BulkDecisionForm(request.POST, reason_required=reason_required)
            if form.is_valid():
                self._bulk_apply(request, queryset, decision, form.cleaned_data["reason"])
                return None
        else:
            form = BulkDecisionForm(reason_required=reason_required)
        selected = queryset.order_by("created_at", "id")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{decision.label}: confirm",
            "subtitle": None,
            "decision": decision,
            "action_name": request.POST.get("action", ""),
            "form": form,
            "count": selected.count(),
            "preview": list(selected.values_list("entity_type", "title")[:BULK_PREVIEW]),
            "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reviews/reviewitem/bulk_confirm.html", context)

    def _bulk_apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[ReviewItem],
        decision: ReviewDecisionKind,
        reason: str,
    ) -> None:
        items = list(queryset.order_by("created_at", "id").values_list("entity_type", "object_id"))
        try:
            outcomes = review_decide_bulk(
                items=items, decision=decision, by=request.user, reason=reason
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        done = sum(1 for outcome in outcomes if outcome.ok)
        failed = [outcome for outcome in outcomes if not outcome.ok]
        verb = "approved" if decision == ReviewDecisionKind.APPROVE else "rejected"
        if done:
            messages.success(request, f"{done} item(s) {verb}.")
        for outcome in failed[:BULK_ERRORS_SHOWN]:
            messages.error(
                request, f"{outcome.entity_type} {outcome.entity_id} not {verb}: {outcome.error}"
            )
        if len(failed) > BULK_ERRORS_SHOWN:
            messages.error(request, f"… and {len(failed) - BULK_ERRORS_SHOWN} more not {verb}.")
