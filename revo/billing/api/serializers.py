from __future__ import annotations

from datetime import date

from rest_framework import serializers

from revo.api.mutations import with_audit_id
from revo.api.serializers import StrictInputSerializer
from revo.billing.models import Invoice, InvoiceLine, Payment, PaymentMethod

INVOICE_FIELDS = (
    "id",
    "contract",
    "number",
    "status",
    "review_status",
    "customer_name",
    "customer_company",
    "customer_email",
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
    "is_overdue",
    "has_pdf",
    "issued_at",
    "paid_at",
    "created_at",
    "updated_at",
)


class InvoiceOutputSerializer(serializers.ModelSerializer):
    is_overdue = serializers.SerializerMethodField(
        help_text="Open with a balance and past its due date (tenant's calendar)."
    )
    has_pdf = serializers.SerializerMethodField(help_text="Whether /pdf has a document.")

    class Meta:
        model = Invoice
        fields = INVOICE_FIELDS
        read_only_fields = fields

    def get_is_overdue(self, invoice: Invoice) -> bool:
        today: date | None = self.context.get("today")
        return invoice.is_overdue_on(today) if today else invoice.is_overdue

    def get_has_pdf(self, invoice: Invoice) -> bool:
        return bool(invoice.pdf)


class InvoiceLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ("position", "description", "quantity", "unit_price", "discount_pct", "line_total")
        read_only_fields = fields


class PaymentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = (
            "id",
            "invoice",
            "amount",
            "currency",
            "received_on",
            "reference",
            "method",
            "recorded_by",
            "created_at",
        )
        read_only_fields = fields


PaymentMutationSerializer = with_audit_id(PaymentOutputSerializer, "PaymentMutationSerializer")


class InvoiceDetailOutputSerializer(InvoiceOutputSerializer):
    lines = InvoiceLineOutputSerializer(many=True, read_only=True)
    payments = PaymentOutputSerializer(many=True, read_only=True)

    class Meta(InvoiceOutputSerializer.Meta):
        fields = (
            *INVOICE_FIELDS,
            "customer_address",
            "notes",
            "payment_instructions",
            "lines",
            "payments",
        )
        read_only_fields = fields


class PaymentInputSerializer(StrictInputSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    received_on = serializers.DateField(help_text="Not in the future (tenant's calendar).")
    reference = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, default=PaymentMethod.BANK_TRANSFER
    )
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="Defaults to the invoice's."
    )
