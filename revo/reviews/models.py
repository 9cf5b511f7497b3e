"""The review gate: one abstraction shared by every artifact an agent writes for the
outside world (outreach emails, deal proposals, contracts, dunning notices)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from revo.core.models import TimestampedModel


class ReviewStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REGENERATE_REQUESTED = "regenerate_requested", "Regeneration requested"
    APPLIED = "applied", "Applied"  # sent / acted on by code after approval


class ReviewableArtifact(FSMModelMixin, TimestampedModel):
    """Abstract base of every artifact. Concrete models set the class attributes below and
    implement ``review_title`` (and ``review_amount`` when money is involved).

    ``ai_original`` keeps the model's original values of the editable fields; the fields
    themselves hold what a reviewer edited (or the original, if nobody edited).
    """

    REVIEW_ENTITY_TYPE: ClassVar[str] = ""  # "outreach", "deal_proposal", "contract", "dunning"
    REVIEW_PERMISSION: ClassVar[str] = ""  # e.g. "reviews.decide_outreach"
    REVIEW_EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = ()

    review_status = FSMField(
        max_length=32,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING_REVIEW,
        protected=True,
        db_index=True,
    )
    ai_original = models.JSONField(default=dict, blank=True, editable=False)
    edited = models.BooleanField(default=False, editable=False)
    confidence = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, help_text="0–1, from the LLM gate"
    )
    flagged_reasons = models.JSONField(
        default=list, blank=True, help_text="Why this needs a person's attention."
    )
    agent = models.CharField(max_length=32, blank=True)
    run_id = models.UUIDField(null=True, blank=True, db_index=True)
    llm_backend = models.CharField(
        max_length=32, blank=True, help_text="'template' marks an offline demo draft."
    )
    llm_model = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    auto_approved = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    # -- state machine (pure: services call these, save and audit) -------------------------

    @transition(
        field=review_status, source=ReviewStatus.PENDING_REVIEW, target=ReviewStatus.APPROVED
    )
    def approve(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field=review_status, source=ReviewStatus.PENDING_REVIEW, target=ReviewStatus.REJECTED
    )
    def reject(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field=review_status,
        source=ReviewStatus.PENDING_REVIEW,
        target=ReviewStatus.REGENERATE_REQUESTED,
    )
    def request_regeneration(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(field=review_status, source=ReviewStatus.APPROVED, target=ReviewStatus.APPLIED)
    def mark_applied(self) -> None:
        """Code acted on the approved artifact (email sent, deal advanced, ...)."""

    # -- what the review queue shows --------------------------------------------------------

    def review_title(self) -> str:
        return str(self)

    def review_amount(self) -> tuple[Decimal | None, str]:
        """(amount, currency) at stake, for riskiest-first ordering; (None, "") if none."""
        return None, ""

    def review_requires_admin(self) -> bool:
        """True when only an admin may decide (e.g. a discount above the policy limit)."""
        return False

    def review_editable_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.REVIEW_EDITABLE_FIELDS}

    def review_context(self) -> dict[str, Any]:
        """What the artifact belongs to, as label → value, for its review page (the lead,
        deal, contract or invoice). The default lists its foreign keys other than the
        people recorded by the review itself; models override it to show more."""
        context: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if not (field.many_to_one or field.one_to_one) or field.name in _REVIEW_OWN_FKS:
                continue
            value = getattr(self, field.name)
            if value is not None:
                context[str(field.verbose_name).capitalize()] = value
        return context


_REVIEW_OWN_FKS = frozenset({"created_by", "reviewed_by"})


RISKIEST: tuple[Any, ...] = (
    "status",
    models.F("confidence").asc(nulls_first=True),
    models.F("amount").desc(nulls_last=True),
    "id",
)
RISKIEST_BY_TYPE: tuple[Any, ...] = ("status", "entity_type", *RISKIEST[1:])


class ReviewItem(models.Model):
    """The review queue's index: one row per artifact of any type, kept in step with the
    artifact by the review services (same transaction), so the queue is one indexed table
    however many artifact types there are."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    artifact = GenericForeignKey("content_type", "object_id")
    entity_type = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=32, choices=ReviewStatus.choices, db_index=True)
    title = models.CharField(max_length=300)
    agent = models.CharField(max_length=32, blank=True)
    llm_backend = models.CharField(max_length=32, blank=True)
    confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    flagged = models.BooleanField(default=False)
    requires_admin = models.BooleanField(default=False)
    auto_approved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "review queue item"
        verbose_name_plural = "review queue"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="reviews_item_one_per_artifact"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="reviews_item_oldest"),
            models.Index(fields=["status", "confidence", "id"], name="reviews_item_confidence"),
            models.Index(fields=["status", "-amount", "id"], name="reviews_item_amount"),
            # the agent filter's choices are read by skipping through this index
            models.Index(fields=["agent"], name="reviews_item_agent"),
            # riskiest first: lowest (or unknown) confidence, then the largest amount
            models.Index(*RISKIEST, name="reviews_item_risk"),
            # The API pages the queue by keyset (``WHERE (keys) > position ORDER BY keys
            # LIMIT n``): each ordering, with or without the status and type filters, reads
            # in the order of one of these indexes from the position on, never a sort.
            models.Index(
                fields=["status", "entity_type", "created_at", "id"],
                name="reviews_item_type_oldest",
            ),
            models.Index(*RISKIEST_BY_TYPE, name="reviews_item_type_risk"),
            models.Index(fields=["created_at", "id"], name="reviews_item_all_oldest"),
            models.Index(*RISKIEST[1:], name="reviews_item_all_risk"),
        ]
        permissions = [
            ("decide_outreach", "Can decide outreach messages"),
            ("decide_deal", "Can decide deal proposals"),
            ("decide_contract", "Can decide contracts"),
            ("decide_invoice", "Can decide invoices"),
            ("decide_dunning", "Can decide dunning notices"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type}: {self.title}"


class ReviewDecisionKind(models.TextChoices):
    APPROVE = "approve", "Approve"
    EDIT_APPROVE = "edit_approve", "Edit and approve"
    REJECT = "reject", "Reject"
    REGENERATE = "regenerate", "Regenerate"
    AUTO_APPROVE = "auto_approve", "Auto-approved by policy"


class ReviewDecision(models.Model):
    """Audit of every review decision: who, when, what, why, and the edited fields before
    and after."""

    item = models.ForeignKey(ReviewItem, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=16, choices=ReviewDecisionKind.choices)
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_run_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} {self.item}"


class ReviewSettings(models.Model):
    """The tenant's review rules (one row per tenant schema)."""

    forbid_self_approval = models.BooleanField(
        default=True, help_text="A person may not approve an artifact they created."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "review settings"

    def __str__(self) -> str:
        return "Review settings"

    @classmethod
    def current(cls) -> ReviewSettings:
        return cls.objects.order_by("pk").first() or cls()
