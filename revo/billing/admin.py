"""Billing in the admin: invoices (with payments and the PDF), payments, the dunning ladder
and dunning notices. State changes go through the services; amounts are never editable."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from revo.billing import services
from revo.billing.dates import tenant_today
from revo.billing.models import (
    OPEN_STATUSES,
    ZERO,
    BillingSettings,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from revo.core.exceptions import DomainError


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_flag=True)
        if self.value() == "no":
            return queryset.filter(overdue_flag=False)
        return queryset


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ("position", "description", "quantity", "unit_price", "discount_pct", "line_total")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("received_on", "amount", "currency", "method", "reference", "recorded_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    label: str,
    call: Any,
) -> None:
    done, failed = 0, []
    for invoice in queryset:
        try:
            call(invoice)
        except DomainError as exc:
            failed.append(f"{invoice}: {exc.message}")
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{label}: {done} invoice(s).", messages.SUCCESS)
    for failure in failed:
        modeladmin.message_user(request, failure, messages.ERROR)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = (
        "number_or_draft",
        "customer",
        "status",
        "total",
        "balance",
        "currency",
        "due_date",
        "overdue",
        "pdf_link",
    )
    list_filter = ("status", OverdueFilter)
    search_fields = ("number", "customer_name", "customer_company", "customer_email")
    list_select_related = ("contract",)
    ordering = ("-created_at", "-id")
    inlines = (InvoiceLineInline, PaymentInline)
    actions = ("submit_for_review", "void_invoices", "write_off_invoices", "regenerate_pdf")
    editable_in_draft = ("notes", "payment_instructions")
    readonly_fields = (
        "number",
        "status",
        "review_status",
        "contract",
        "customer_name",
        "customer_company",
        "customer_email",
        "customer_address",
        "currency",
        "payment_terms_net_days",
        "issue_date",
        "due_date",
        "tax_rate_pct",
        "subtotal",
        "tax_amount",
        "total",
        "amount_paid",
        "balance",
        "pdf_link",
        "issued_at",
        "paid_at",
        "created_at",
    )

    def get_fields(self, request: HttpRequest, obj: Invoice | None = None) -> list[str]:
        return [*self.readonly_fields, *self.editable_in_draft]

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> tuple:
        if obj is not None and obj.status == InvoiceStatus.DRAFT:
            return self.readonly_fields
        return (*self.readonly_fields, *self.editable_in_draft)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        today = tenant_today()
        return (
            super()
            .get_queryset(request)
            .annotate(
                overdue_flag=Case(
                    When(
                        Q(status__in=OPEN_STATUSES, due_date__lt=today, balance__gt=ZERO),
                        then=Value(True),
                    ),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invoices are drawn from signed contracts

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # void instead: numbers are never reused

    @admin.display(description="number", ordering="number")
    def number_or_draft(self, obj: Invoice) -> str:
        return obj.number or f"(draft #{obj.pk})"

    @admin.display(description="customer", ordering="customer_company")
    def customer(self, obj: Invoice) -> str:
        return obj.customer_company or obj.customer_name

    @admin.display(description="overdue", boolean=True, ordering="overdue_flag")
    def overdue(self, obj: Invoice) -> bool:
        return bool(getattr(obj, "overdue_flag", False))

    @admin.display(description="PDF")
    def pdf_link(self, obj: Invoice) -> str:
        if not obj.pk or not obj.pdf:
            return "-"
        url = reverse("admin:billing_invoice_pdf", args=[obj.pk])
        return format_html('<a href="{}">Download PDF</a>', url)

    def save_model(self, request: HttpRequest, obj: Invoice, form: Any, change: bool) -> None:
        services.invoice_texts_update(
            invoice=obj,
            notes=form.cleaned_data.get("notes", obj.notes),
            payment_instructions=form.cleaned_data.get(
                "payment_instructions", obj.payment_instructions
            ),
            by=request.user,
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # -- PDF download ----------------------------------------------------------------------

    def get_urls(self) -> list:
        urls = super().get_urls()
        custom = [
            path(
                "<int:invoice_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            )
        ]
        return custom + urls

    def pdf_view(self, request: HttpRequest, invoice_id: int) -> FileResponse:
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        if not self.has_view_permission(request, invoice):
            raise DjangoPermissionDenied
        if not invoice.pdf:
            raise Http404("this invoice has no PDF yet; it is generated when it is issued")
        return FileResponse(
            invoice.pdf.open("rb"),
            as_attachment=True,
            filename=f"{invoice.number}.pdf",
            content_type="application/pdf",
        )

    # -- actions (each calls a service; permission: change invoice) -----------------------

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_each(
            self,
            request,
            queryset,
            "Submitted for review",
            lambda inv: services.invoice_submit_for_review(invoice=inv, by=request.user),
        )

    @admin.action(description="Void (nothing paid)", permissions=["change"])
    def void_invoices(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        reason = f"voided in the admin by {request.user}"
        _run_each(
            self,
            request,
            queryset,
            "Voided",
            lambda inv: services.invoice_void(invoice=inv, reason=reason, by=request.user),
        )

    @admin.action(description="Write off the open balance", permissions=["change"])
    def write_off_invoices(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        reason = f"written off in the admin by {request.user}"
        _run_each(
            self,
            request,
            queryset,
            "Written off",
            lambda inv: services.invoice_write_off(invoice=inv, reason=reason, by=request.user),
        )

    @admin.action(description="Regenerate PDF", permissions=["change"])
    def regenerate_pdf(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        _run_each(
            self,
            request,
            queryset,
            "PDF regenerated",
            lambda inv: services.invoice_pdf_regenerate(invoice=inv, by=request.user),
        )


class PaymentAdminForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ("invoice", "amount", "received_on", "method", "reference")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    form = PaymentAdminForm
    list_display = (
        "received_on",
        "invoice",
        "amount",
        "currency",
        "method",
        "reference",
        "recorded_by",
    )
    list_filter = ("method", "received_on")
    search_fields = ("invoice__number", "reference", "invoice__customer_company")
    list_select_related = ("invoice", "recorded_by")
    raw_id_fields = ("invoice",)
    date_hierarchy = "received_on"

    def get_readonly_fields(self, request: HttpRequest, obj: Payment | None = None) -> tuple:
        if obj is None:
            return ()
        return ("invoice", "amount", "currency", "received_on", "method", "reference")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a payment is a fact; a refund is a later feature, never a deletion

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = services.payment_record(
            invoice=data["invoice"],
            amount=data["amount"],
            received_on=data["received_on"],
            method=data["method"],
            reference=data.get("reference", ""),
            by=request.user,
        )
        obj.pk = created.pk
        obj.currency = created.currency
        obj.recorded_by = created.recorded_by
        obj._state.adding = False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class DunningLevelInline(admin.TabularInline):
    model = DunningLevel
    extra = 0
    fields = (
        "level",
        "name",
        "days_offset",
        "tone",
        "fee",
        "auto_approvable",
        "auto_approve_max_amount",
        "min_days_since_previous",
    )


@admin.register(DunningPolicy)
class DunningPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "updated_at")
    fields = ("name", "is_active")
    inlines = (DunningLevelInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DunningPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DunningNotice)
class DunningNoticeAdmin(admin.ModelAdmin):
    """Read-only here: notices are decided in the review queue and cancelled by payments."""

    list_display = (
        "created_at",
        "invoice",
        "level",
        "subject",
        "review_status",
        "fee",
        "currency",
        "auto_approved",
        "cancelled_at",
    )
    list_filter = ("review_status", "level__tone", "auto_approved")
    search_fields = ("subject", "invoice__number", "invoice__customer_company")
    list_select_related = ("invoice", "level")
    readonly_fields = (
        "invoice",
        "level",
        "subject",
        "body",
        "fee",
        "currency",
        "review_status",
        "auto_approved",
        "reviewed_by",
        "reviewed_at",
        "decision_reason",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BillingSettings)
class BillingSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "default_tax_rate_pct", "updated_at")
    fields = ("default_tax_rate_pct", "bank_details", "payment_instructions")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BillingSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
