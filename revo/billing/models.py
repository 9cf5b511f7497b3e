"""Billing: invoices issued from signed contracts, payments against them, and the dunning
policy whose notices go through the review gate.

Amounts are computed by code (``revo.billing.calculations``) and written by services; the
database re-checks the arithmetic that ties them together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, transition

from revo.core.models import TimestampedModel
from revo.reviews.models import ReviewableArtifact, ReviewStatus

ZERO = Decimal("0.00")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    WRITTEN_OFF = "written_off", "Written off"


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
NUMBERED_STATUSES = (
    InvoiceStatus.ISSUED,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.WRITTEN_OFF,
)


def _money(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)


def invoice_pdf_path(instance: Invoice, filename: str) -> str:
    from django.db import connection

    return f"invoices/{connection.schema_name}/{filename}"


class Invoice(ReviewableArtifact):
    """An invoice for one signed contract. Its number is assigned when it is issued (after
    review approval), from a per-year sequence locked in the issuing transaction, so the
    numbers have no gaps. Amounts are never edited by hand; a reviewer may only change the
    notes and payment instructions."""

    REVIEW_ENTITY_TYPE = "invoice"
    REVIEW_PERMISSION = "reviews.decide_invoice"
    REVIEW_EDITABLE_FIELDS = ("notes", "payment_instructions")

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="invoices"
    )
    status = FSMField(
        max_length=32,
        choices=InvoiceStatus.choices,
        default=InvoiceStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    number = models.CharField(max_length=32, null=True, blank=True, editable=False)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_company = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    customer_address = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    payment_terms_net_days = models.PositiveSmallIntegerField()
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    tax_rate_pct = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    subtotal = _money()
    tax_amount = _money()
    total = _money()
    amount_paid = _money()
    balance = _money()
    notes = models.TextField(blank=True)
    payment_instructions = models.TextField(blank=True)
    pdf = models.FileField(upload_to=invoice_pdf_path, blank=True, editable=False)
    pdf_generated_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="billing_invoice_number_unique"),
            models.UniqueConstraint(
                fields=["contract"],
                condition=~Q(status=InvoiceStatus.VOID),
                name="billing_invoice_one_live_per_contract",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=False) | ~Q(status__in=NUMBERED_STATUSES),
                name="billing_invoice_numbered_once_issued",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate_pct__gte=0) & Q(tax_rate_pct__lte=100),
                name="billing_invoice_tax_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(tax_amount__gte=0),
                name="billing_invoice_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax_amount")),
                name="billing_invoice_total_is_subtotal_plus_tax",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total")),
                name="billing_invoice_paid_within_total",
            ),
            models.CheckConstraint(
                condition=Q(balance=F("total") - F("amount_paid")),
                name="billing_invoice_balance_is_total_minus_paid",
            ),
            models.CheckConstraint(
                condition=~Q(status=InvoiceStatus.PAID) | Q(balance=0),
                name="billing_invoice_paid_has_no_balance",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="billing_invoice_open_due")]

    def __str__(self) -> str:
        return self.number or f"Draft invoice #{self.pk}"

    # -- state machine (pure: services apply, save and audit) ------------------------------

    def _review_approved(self) -> bool:
        return self.review_status == ReviewStatus.APPROVED

    def _review_sent_back(self) -> bool:
        return self.review_status in (ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED)

    def _nothing_paid(self) -> bool:
        return self.amount_paid == ZERO

    @transition(field=status, source=InvoiceStatus.DRAFT, target=InvoiceStatus.PENDING_REVIEW)
    def submit_for_review(self) -> None:
        """Into the review queue."""

    @transition(
        field=status,
        source=InvoiceStatus.PENDING_REVIEW,
        target=InvoiceStatus.DRAFT,
        conditions=[_review_sent_back],
    )
    def return_to_draft(self) -> None:
        """A reviewer rejected it or asked for changes."""

    @transition(
        field=status,
        source=InvoiceStatus.PENDING_REVIEW,
        target=InvoiceStatus.ISSUED,
        conditions=[_review_approved],
    )
    def issue(self) -> None:
        """Approved: number and dates are set by ``invoice_issue``."""

    @transition(
        field=status,
        source=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
        target=InvoiceStatus.PARTIALLY_PAID,
    )
    def pay_partially(self) -> None:
        """A payment left part of the balance open."""

    @transition(
        field=status,
        source=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
        target=InvoiceStatus.PAID,
    )
    def pay_in_full(self) -> None:
        """A payment cleared the balance."""

    @transition(
        field=status,
        source=[InvoiceStatus.DRAFT, InvoiceStatus.PENDING_REVIEW, InvoiceStatus.ISSUED],
        target=InvoiceStatus.VOID,
        conditions=[_nothing_paid],
    )
    def void(self) -> None:
        """Cancelled before any money was received."""

    @transition(
        field=status,
        source=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
        target=InvoiceStatus.WRITTEN_OFF,
    )
    def write_off(self) -> None:
        """The open balance will not be collected."""

    @transition(
        field="review_status",
        source=[ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED],
        target=ReviewStatus.PENDING_REVIEW,
    )
    def review_reopen(self) -> None:
        """A revised draft goes back into the queue."""

    # -- derived -------------------------------------------------------------------------

    def is_overdue_on(self, today: date) -> bool:
        return (
            self.status in OPEN_STATUSES
            and self.due_date is not None
            and self.due_date < today
            and self.balance > ZERO
        )

    @property
    def is_overdue(self) -> bool:
        from revo.billing.dates import tenant_today

        return self.is_overdue_on(tenant_today())

    # -- review queue --------------------------------------------------------------------

    def review_title(self) -> str:
        who = self.customer_company or self.customer_name or "customer"
        return f"Invoice {self.number or f'#{self.pk}'} to {who}: {self.total} {self.currency}"

    def review_amount(self) -> tuple[Decimal | None, str]:
        return self.total, self.currency


class InvoiceLine(TimestampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    discount_pct = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    line_total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="billing_line_position_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="billing_line_quantity_pos"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="billing_line_unit_price_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100),
                name="billing_line_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(line_total__gte=0), name="billing_line_total_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


class InvoiceSequence(TimestampedModel):
    """The last number issued in a year (one row per year in each tenant schema). Locked with
    ``select_for_update`` by the issuing transaction, so a number is taken and used in the
    same commit: a rolled-back issue leaves no gap."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


class Payment(TimestampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    method = models.CharField(
        max_length=32, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.received_on}"


class BillingSettings(TimestampedModel):
    """The tenant's billing defaults (one row per tenant schema)."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    default_tax_rate_pct = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    bank_details = models.TextField(blank=True, help_text="Printed on every invoice.")
    payment_instructions = models.TextField(
        blank=True, help_text="Default instructions copied onto new invoices."
    )

    class Meta:
        verbose_name_plural = "billing settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="billing_settings_singleton"),
            models.CheckConstraint(
                condition=Q(default_tax_rate_pct__gte=0) & Q(default_tax_rate_pct__lte=100),
                name="billing_settings_tax_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return "Billing settings"


class DunningTone(models.TextChoices):
    FRIENDLY = "friendly", "Friendly"
    FIRM = "firm", "Firm"
    FINAL = "final", "Final"


class DunningPolicy(TimestampedModel):
    """The tenant's dunning ladder (one row per tenant schema)."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    name = models.CharField(max_length=100, default="Default")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "dunning policies"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="billing_dunning_singleton"),
        ]

    def __str__(self) -> str:
        return self.name


class DunningLevel(TimestampedModel):
    """One rung of the ladder: sent ``days_offset`` days after the due date (negative:
    before it), at least ``min_days_since_previous`` days after the previous notice.

    A level in the ``final`` tone announces collection or legal steps: it is never
    auto-approved (in code and in the database)."""

    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    days_offset = models.SmallIntegerField(help_text="Days after the due date; negative before.")
    tone = models.CharField(max_length=16, choices=DunningTone.choices)
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    auto_approvable = models.BooleanField(
        default=False,
        help_text="Notices of this level may skip review when the tenant's enabled "
        "auto-approval rule dunning.level_<n> agrees too; never for the final tone.",
    )
    auto_approve_max_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Auto-approve only while the open balance is at most this (empty: any).",
    )
    min_days_since_previous = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="billing_level_unique"),
            models.UniqueConstraint(
                fields=["policy", "days_offset"], name="billing_level_offset_unique"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="billing_level_from_one"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="billing_level_fee_non_neg"),
            models.CheckConstraint(
                condition=Q(auto_approve_max_amount__isnull=True)
                | Q(auto_approve_max_amount__gte=0),
                name="billing_level_auto_max_non_neg",
            ),
            models.CheckConstraint(
                condition=~Q(tone=DunningTone.FINAL) | Q(auto_approvable=False),
                name="billing_level_final_never_auto",
                violation_error_message="a final-tone level can never be auto-approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level}. {self.name} ({self.days_offset:+d} days)"

    @property
    def is_final(self) -> bool:
        """The rung that threatens collection or legal steps."""
        return self.tone == DunningTone.FINAL


# Notices nobody has decided yet: while one exists, no further level is drafted.
NOTICE_UNDECIDED_STATUSES = (ReviewStatus.PENDING_REVIEW, ReviewStatus.REGENERATE_REQUESTED)


class DunningNotice(ReviewableArtifact):
    """A reminder for one invoice at one level; never two for the same level.

    Cancellation (the invoice was paid before the notice went out) is a system rejection:
    ``review_status`` moves to ``rejected`` through the ``cancel`` transition (audited as
    ``cancel`` with the reason), and ``cancelled_at``/``cancel_reason`` record it, so the
    notice leaves the review queue and can never be sent."""

    REVIEW_ENTITY_TYPE = "dunning"
    REVIEW_PERMISSION = "reviews.decide_dunning"
    REVIEW_EDITABLE_FIELDS = ("subject", "body")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dunning_notices")
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="notices")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    currency = models.CharField(max_length=3)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], name="billing_notice_one_per_level"
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="billing_notice_fee_non_neg"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(review_status=ReviewStatus.REJECTED),
                name="billing_notice_cancelled_is_rejected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.invoice})"

    @transition(
        field="review_status",
        source=[
            ReviewStatus.PENDING_REVIEW,
            ReviewStatus.REGENERATE_REQUESTED,
            ReviewStatus.APPROVED,
        ],
        target=ReviewStatus.REJECTED,
    )
    def cancel(self) -> None:
        """Withdrawn by the system before it was sent."""

    def review_title(self) -> str:
        return f"{self.level.name} for {self.invoice}: {self.subject}"

    def review_amount(self) -> tuple[Decimal | None, str]:
        return self.invoice.balance + self.fee, self.currency
