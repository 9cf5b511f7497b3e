"""Contracts: the tenant's pricing policy and price list, contracts with their revisions and
line items, and the negotiation rounds around them.

A contract is also the reviewable artifact for its own terms: ``review_status`` (the review
gate) and ``status`` (the business life cycle) move together, always through
``revo.contracts.services``:

* draft: being written; ``review_status`` is ``pending_review`` but no queue row exists yet.
* submit → pending_review: the queue row is created (``review_submit``).
* review approved → approved (the registered ``on_approved``).
* review rejected or regeneration requested → void: one revision is reviewed at most once;
  a change is a new revision (``contract_revise``).
* send → sent (the review becomes ``applied``) → signed | declined | expired.
* void is reachable from draft, pending_review, approved and sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import FSMField, transition

from revo.core.models import TimestampedModel
from revo.reviews.models import ReviewableArtifact, ReviewStatus

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class PricingPolicy(TimestampedModel):
    """The tenant's pricing rules (one row per tenant schema): discounts up to
    ``max_discount_pct_without_admin`` need a sales decision, above it an admin's, and
    nothing beyond ``hard_floor_discount_pct`` is ever accepted."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    currency = models.CharField(max_length=3, default="EUR")
    max_discount_pct_without_admin = models.DecimalField(
        **PERCENT,
        default=Decimal("15.00"),
        help_text="Highest line discount (%) a sales reviewer may approve on their own.",
    )
    hard_floor_discount_pct = models.DecimalField(
        **PERCENT,
        default=Decimal("30.00"),
        help_text="No line is ever discounted more than this (%), whoever approves.",
    )

    class Meta:
        verbose_name_plural = "pricing policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True), name="contracts_pricingpolicy_singleton"
            ),
            models.CheckConstraint(
                condition=Q(max_discount_pct_without_admin__gte=0)
                & Q(max_discount_pct_without_admin__lte=F("hard_floor_discount_pct"))
                & Q(hard_floor_discount_pct__lte=100),
                name="contracts_pricingpolicy_limits_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Pricing policy ({self.currency}; admin above {self.max_discount_pct_without_admin}%,"
            f" floor {self.hard_floor_discount_pct}%)"
        )


class PriceListItem(TimestampedModel):
    """A product or service on the price list, priced in the policy's currency."""

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=32, default="unit")
    unit_price = models.DecimalField(**MONEY)
    active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="contracts_pricelistitem_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} – {self.name}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    SIGNED = "signed", "Signed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    VOID = "void", "Void"


OPEN_CONTRACT_STATUSES = (
    ContractStatus.DRAFT,
    ContractStatus.PENDING_REVIEW,
    ContractStatus.APPROVED,
    ContractStatus.SENT,
)
TERMINAL_CONTRACT_STATUSES = (
    ContractStatus.SIGNED,
    ContractStatus.DECLINED,
    ContractStatus.EXPIRED,
    ContractStatus.VOID,
)


class Contract(ReviewableArtifact):
    """One revision of a contract for a deal. Totals are computed by the services from
    the lines; a signed contract never changes again."""

    REVIEW_ENTITY_TYPE: ClassVar[str] = "contract"
    REVIEW_PERMISSION: ClassVar[str] = "reviews.decide_contract"
    REVIEW_EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = ("terms", "payment_terms_net_days")

    deal = models.ForeignKey("deals.Deal", on_delete=models.PROTECT, related_name="contracts")
    revision = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The revision this one replaces.",
    )
    status = FSMField(
        max_length=32,
        choices=ContractStatus.choices,
        default=ContractStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    currency = models.CharField(max_length=3)
    payment_terms_net_days = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(365)]
    )
    valid_until = models.DateField(null=True, blank=True)
    terms = models.TextField(blank=True, help_text="Special terms printed on the contract.")
    subtotal = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    discount_total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    max_line_discount_pct = models.DecimalField(**PERCENT, default=Decimal("0.00"), editable=False)
    requires_admin_approval = models.BooleanField(
        default=False,
        editable=False,
        help_text="A line's discount exceeds the policy's no-approval limit.",
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Declined, expired or voided at."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "revision"], name="contracts_contract_deal_revision_unique"
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="contracts_contract_revision_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values),
                name="contracts_contract_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(discount_total__gte=0)
                & Q(total=F("subtotal") - F("discount_total")),
                name="contracts_contract_totals_consistent",
            ),
            models.CheckConstraint(
                condition=Q(payment_terms_net_days__lte=365),
                name="contracts_contract_payment_terms_lte_365",
            ),
            models.CheckConstraint(
                condition=~Q(status=ContractStatus.SIGNED) | Q(signed_at__isnull=False),
                name="contracts_contract_signed_has_signed_at",
            ),
            # The business status and the review gate never disagree: nothing past review
            # without an approval, no draft already decided.
            models.CheckConstraint(
                condition=~Q(
                    status__in=[
                        ContractStatus.APPROVED,
                        ContractStatus.SENT,
                        ContractStatus.SIGNED,
                        ContractStatus.DECLINED,
                        ContractStatus.EXPIRED,
                    ]
                )
                | Q(review_status__in=[ReviewStatus.APPROVED, ReviewStatus.APPLIED]),
                name="contracts_contract_past_review_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status=ContractStatus.DRAFT)
                | Q(review_status=ReviewStatus.PENDING_REVIEW),
                name="contracts_contract_draft_is_unreviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"Contract {self.deal_id}/r{self.revision}"

    # -- business state machine (pure: services call these, save and audit) ----------------

    @transition(field=status, source=ContractStatus.DRAFT, target=ContractStatus.PENDING_REVIEW)
    def submit(self) -> None:
        """Put the draft in front of a reviewer."""

    @transition(field=status, source=ContractStatus.PENDING_REVIEW, target=ContractStatus.APPROVED)
    def confirm_approval(self) -> None:
        """The review gate approved the terms."""

    @transition(field=status, source=ContractStatus.APPROVED, target=ContractStatus.SENT)
    def send(self) -> None:
        self.sent_at = timezone.now()

    @transition(field=status, source=ContractStatus.SENT, target=ContractStatus.SIGNED)
    def sign(self) -> None:
        self.signed_at = timezone.now()

    @transition(field=status, source=ContractStatus.SENT, target=ContractStatus.DECLINED)
    def decline(self) -> None:
        self.closed_at = timezone.now()

    def is_past_validity(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @transition(
        field=status,
        source=ContractStatus.SENT,
        target=ContractStatus.EXPIRED,
        conditions=[is_past_validity],
    )
    def expire(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=status, source=list(OPEN_CONTRACT_STATUSES), target=ContractStatus.VOID)
    def void(self) -> None:
        self.closed_at = timezone.now()

    # -- review gate -------------------------------------------------------------------------
    # Only a submitted contract (status pending_review) can be decided: a draft or a voided
    # revision is refused by the review gate itself.

    def is_in_review(self) -> bool:
        return self.status == ContractStatus.PENDING_REVIEW

    @transition(
        field="review_status",
        source=ReviewStatus.PENDING_REVIEW,
        target=ReviewStatus.APPROVED,
        conditions=[is_in_review],
    )
    def approve(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field="review_status",
        source=ReviewStatus.PENDING_REVIEW,
        target=ReviewStatus.REJECTED,
        conditions=[is_in_review],
    )
    def reject(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field="review_status",
        source=ReviewStatus.PENDING_REVIEW,
        target=ReviewStatus.REGENERATE_REQUESTED,
        conditions=[is_in_review],
    )
    def request_regeneration(self) -> None:
        self.reviewed_at = timezone.now()

    def review_title(self) -> str:
        return f"Contract r{self.revision}: {self.deal.name}"

    def review_amount(self) -> tuple[Decimal | None, str]:
        return self.total, self.currency

    def review_requires_admin(self) -> bool:
        return self.requires_admin_approval

    @property
    def is_signed(self) -> bool:
        return self.status == ContractStatus.SIGNED


class ContractLine(TimestampedModel):
    """One line of a contract. ``line_total`` is computed by the services."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    price_list_item = models.ForeignKey(
        PriceListItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300)
    unit = models.CharField(max_length=32, default="unit")
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(**MONEY)
    discount_pct = models.DecimalField(**PERCENT, default=Decimal("0.00"))
    line_total = models.DecimalField(**MONEY, editable=False)

    class Meta:
        ordering = ["contract", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "position"], name="contracts_contractline_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="contracts_contractline_quantity_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="contracts_contractline_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100),
                name="contracts_contractline_discount_0_100",
            ),
            models.CheckConstraint(
                condition=Q(line_total__gte=0), name="contracts_contractline_total_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class NegotiationParty(models.TextChoices):
    US = "us", "Us"
    CUSTOMER = "customer", "Customer"


class NegotiationRound(TimestampedModel):
    """One offer in the negotiation of a contract, ours or the customer's. Rounds are
    numbered 1, 2, 3 … per contract without gaps."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="negotiation_rounds"
    )
    number = models.PositiveIntegerField()
    party = models.CharField(max_length=16, choices=NegotiationParty.choices)
    offered_price = models.DecimalField(**MONEY, help_text="Total price offered.")
    currency = models.CharField(max_length=3)
    discount_pct = models.DecimalField(**PERCENT, default=Decimal("0.00"))
    terms = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_run_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="contracts_negotiationround_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="contracts_negotiationround_number_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(party__in=NegotiationParty.values),
                name="contracts_negotiationround_party_valid",
            ),
            models.CheckConstraint(
                condition=(Q(author_user__isnull=False) & Q(author_run_id__isnull=True))
                | (Q(author_user__isnull=True) & Q(author_run_id__isnull=False)),
                name="contracts_negotiationround_one_author",
            ),
            models.CheckConstraint(
                condition=Q(offered_price__gte=0), name="contracts_negotiationround_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100),
                name="contracts_negotiationround_discount_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Round {self.number} ({self.party}) of {self.contract}"

    @property
    def author(self) -> str:
        if self.author_user_id:
            return str(self.author_user)
        return f"agent run {self.author_run_id}"
