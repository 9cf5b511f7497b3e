from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from revo.accounts.roles import Role
from revo.contracts.models import (
    Contract,
    ContractLine,
    ContractStatus,
    NegotiationRound,
    PriceListItem,
    PricingPolicy,
)
from revo.contracts.services import (
    LineInput,
    contract_decline,
    contract_lines_set,
    contract_review_decide,
    contract_revise,
    contract_send,
    contract_sign,
    contract_submit,
    contract_update,
    contract_void,
    lines_price,
    price_list_item_create,
    price_list_item_update,
    pricing_policy_ensure,
    pricing_policy_update,
)
from revo.core.exceptions import InvalidInput
from revo.deals.admin_actions import apply_each, with_reason

LINE_FIELDS = ("sku", "description", "unit", "quantity", "unit_price", "discount_pct")


def _is_draft(obj: Contract | None) -> bool:
    return obj is not None and obj.status == ContractStatus.DRAFT


def _line_inputs(formset: forms.BaseInlineFormSet) -> list[LineInput]:
    rows = [
        f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    rows.sort(key=lambda row: getattr(row.get("id"), "position", None) or 10_000)
    return [
        LineInput(
            sku=row.get("sku") or "",
            description=row.get("description") or "",
            unit=row.get("unit") or "",
            quantity=row["quantity"],
            unit_price=row.get("unit_price"),
            discount_pct=row.get("discount_pct") or 0,
        )
        for row in rows
    ]


class ContractLineFormSet(forms.BaseInlineFormSet):
    """Checks the lines with the same pricing rules the services apply, so a refused
    discount shows as a form error."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            lines_price(
                lines=_line_inputs(self),
                policy=pricing_policy_ensure(),
                currency=self.instance.currency,
            )
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None


class ContractLineForm(forms.ModelForm):
    class Meta:
        model = ContractLine
        fields = LINE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Price-list lines take the list price; only custom lines need one.
        for name in ("unit_price", "description"):
            if name in self.fields:  # absent when the inline is read-only
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sku = (data.get("sku") or "").strip()
        if sku:
            item = PriceListItem.objects.filter(sku=sku, active=True).first()
            if item is None:
                raise ValidationError({"sku": f"{sku!r} is not an active price list item"})
            if data.get("unit_price") is None:
                data["unit_price"] = item.unit_price
                self.instance.unit_price = item.unit_price
            if not data.get("description"):
                data["description"] = item.name
                self.instance.description = item.name
        return data


class ContractLineInline(admin.TabularInline):
    model = ContractLine
    form = ContractLineForm
    formset = ContractLineFormSet
    fields = ("position", *LINE_FIELDS, "line_total")
    extra = 0

    def get_readonly_fields(self, request: HttpRequest, obj: Contract | None = None) -> Any:
        if _is_draft(obj):
            return ("position", "line_total")
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return _is_draft(obj) and super().has_delete_permission(request, obj)


class NegotiationRoundInline(admin.TabularInline):
    model = NegotiationRound
    fields = (
        "number",
        "party",
        "offered_price",
        "currency",
        "discount_pct",
        "terms",
        "notes",
        "author_user",
        "author_run_id",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """Contracts are written by services (an agent or ``contract_create``); here a draft's
    terms and lines are edited through the services and the life cycle moves by actions.
    Anything past draft is read-only; a change is a new revision."""

    list_display = (
        "__str__",
        "deal",
        "lead_company",
        "revision",
        "status",
        "review_status",
        "total",
        "currency",
        "max_line_discount_pct",
        "requires_admin_approval",
        "valid_until",
    )
    list_filter = ("status", "review_status", "requires_admin_approval", "currency")
    search_fields = ("deal__name", "deal__lead__company", "deal__lead__email", "terms")
    list_select_related = ("deal", "deal__lead")
    ordering = ("-created_at",)
    fields = (
        "deal",
        "revision",
        "supersedes",
        "status",
        "review_status",
        "currency",
        "payment_terms_net_days",
        "valid_until",
        "terms",
        "subtotal",
        "discount_total",
        "total",
        "max_line_discount_pct",
        "requires_admin_approval",
        "agent",
        "run_id",
        "confidence",
        "flagged_reasons",
        "created_by",
        "reviewed_by",
        "reviewed_at",
        "decision_reason",
        "sent_at",
        "signed_at",
        "closed_at",
        "created_at",
        "updated_at",
    )
    inlines = (ContractLineInline, NegotiationRoundInline)
    actions = (
        "submit_for_review",
        "approve",
        "reject",
        "send",
        "mark_signed",
        "decline",
        "void",
        "revise",
    )

    @admin.display(description="company", ordering="deal__lead__company")
    def lead_company(self, obj: Contract) -> str:
        return obj.deal.lead.company

    def get_readonly_fields(self, request: HttpRequest, obj: Contract | None = None) -> Any:
        editable = ("payment_terms_net_days", "valid_until", "terms")
        return tuple(f for f in self.fields if f not in editable or not _is_draft(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        if obj is not None and not _is_draft(obj):
            return False  # signed (and everything else past draft) is read-only
        return super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: Contract, form: forms.ModelForm, change: bool
    ) -> None:
        changed = {n: form.cleaned_data[n] for n in form.changed_data}
        if changed:
            contract_update(contract=obj, by=request.user, reason="edited in admin", **changed)

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formset: forms.BaseInlineFormSet,
        change: bool,
    ) -> None:
        if formset.model is ContractLine and formset.has_changed():
            contract_lines_set(
                contract=form.instance,
                lines=_line_inputs(formset),
                by=request.user,
                reason="lines edited in admin",
            )
            # The service rewrote the lines; the admin's change message lists no rows.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_formset(request, form, formset, change)

    # -- life cycle actions ----------------------------------------------------------------

    def _each(self, request: HttpRequest, queryset: QuerySet, service: Any, verb: str) -> None:
        apply_each(self, request, queryset, lambda c: service(contract=c, by=request.user), verb)

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, contract_submit, "submitted for review")

    @admin.action(description="Approve (review decision)", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda c: contract_review_decide(contract=c, decision="approve", by=request.user),
            "approved",
        )

    @admin.action(
        description="Reject (voids the revision; asks for the reason)", permissions=["change"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="reject",
            title="Reject",
            apply=lambda c, reason: contract_review_decide(
                contract=c, decision="reject", by=request.user, reason=reason
            ),
        )

    @admin.action(description="Send to the customer", permissions=["change"])
    def send(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, contract_send, "sent")

    @admin.action(description="Mark signed", permissions=["change"])
    def mark_signed(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, contract_sign, "signed")

    @admin.action(description="Mark declined (asks for the reason)", permissions=["change"])
    def decline(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="decline",
            title="Mark declined",
            apply=lambda c, reason: contract_decline(contract=c, reason=reason, by=request.user),
        )

    @admin.action(description="Void (asks for the reason)", permissions=["change"])
    def void(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="void",
            title="Void",
            apply=lambda c, reason: contract_void(contract=c, reason=reason, by=request.user),
        )

    @admin.action(description="New revision", permissions=["change"])
    def revise(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, contract_revise, "revised")


class PricingPolicyForm(forms.ModelForm):
    class Meta:
        model = PricingPolicy
        fields = ("currency", "max_discount_pct_without_admin", "hard_floor_discount_pct")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        limit = data.get("max_discount_pct_without_admin")
        floor = data.get("hard_floor_discount_pct")
        if limit is not None and floor is not None and limit > floor:
            raise ValidationError("the discount allowed without an admin cannot exceed the floor")
        return data


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMIN))


@admin.register(PricingPolicy)
class PricingPolicyAdmin(admin.ModelAdmin):
    """One row per tenant; only admins change the limits (sales may read them)."""

    form = PricingPolicyForm
    list_display = (
        "__str__",
        "currency",
        "max_discount_pct_without_admin",
        "hard_floor_discount_pct",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: PricingPolicy, form: forms.ModelForm, change: bool
    ) -> None:
        pricing_policy_update(**{n: form.cleaned_data[n] for n in PricingPolicyForm.Meta.fields})


@admin.register(PriceListItem)
class PriceListItemAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "unit", "unit_price", "active", "updated_at")
    list_filter = ("active", "unit")
    search_fields = ("sku", "name")
    fields = ("sku", "name", "unit", "unit_price", "active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("sku",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # contract lines refer to items; deactivate instead

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_add_permission(request)

    def save_model(
        self, request: HttpRequest, obj: PriceListItem, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            saved = price_list_item_update(
                item=obj,
                name=data["name"],
                unit=data["unit"],
                unit_price=data["unit_price"],
                active=data["active"],
            )
        else:
            saved = price_list_item_create(
                sku=data["sku"],
                name=data["name"],
                unit=data["unit"],
                unit_price=data["unit_price"],
                active=data["active"],
            )
        obj.pk = saved.pk
