"""Deals: an opportunity opened from a qualified lead, moved through its stages by the deal
services, and the proposal artifact a reviewer approves before a deal advances."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from revo.core.models import SoftDeleteModel
from revo.reviews.models import ReviewableArtifact

MONEY = {"max_digits": 14, "decimal_places": 2}


class DealStage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_DEAL_STAGES = (DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION)

# Win probability (%) a deal gets on entering a stage, unless the caller sets one.
DEFAULT_PROBABILITY: dict[str, int] = {
    DealStage.QUALIFICATION: 10,
    DealStage.PROPOSAL: 30,
    DealStage.NEGOTIATION: 60,
    DealStage.WON: 100,
    DealStage.LOST: 0,
}


class QualificationLevel(models.TextChoices):
    """How well one BANT dimension (budget, authority, need, timeline) is met."""

    UNKNOWN = "unknown", "Unknown"
    NOT_MET = "not_met", "Not met"
    PARTIAL = "partial", "Partially met"
    MET = "met", "Met"


BANT_DIMENSIONS = ("budget", "authority", "need", "timeline")


def _level_field(dimension: str) -> models.CharField:
    return models.CharField(
        max_length=16,
        choices=QualificationLevel.choices,
        default=QualificationLevel.UNKNOWN,
        help_text=f"How well the {dimension} criterion is met.",
    )


class Deal(FSMModelMixin, SoftDeleteModel):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="deals")
    name = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    currency = models.CharField(max_length=3)
    stage = FSMField(
        max_length=32,
        choices=DealStage.choices,
        default=DealStage.QUALIFICATION,
        protected=True,
        db_index=True,
    )
    probability = models.PositiveSmallIntegerField(default=10, help_text="Win probability, %.")
    expected_close_date = models.DateField(null=True, blank=True, db_index=True)
    next_step = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    # Qualification record (BANT): a level and the reasoning behind it, per dimension.
    budget = _level_field("budget")
    budget_rationale = models.TextField(blank=True)
    authority = _level_field("authority")
    authority_rationale = models.TextField(blank=True)
    need = _level_field("need")
    need_rationale = models.TextField(blank=True)
    timeline = _level_field("timeline")
    timeline_rationale = models.TextField(blank=True)

    lost_reason = models.TextField(blank=True)
    stage_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    won_at = models.DateTimeField(null=True, blank=True, editable=False)
    lost_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100),
                name="deals_deal_probability_0_100",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deals_deal_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(stage__in=DealStage.values), name="deals_deal_stage_valid"
            ),
            models.CheckConstraint(
                condition=~Q(stage=DealStage.LOST) | ~Q(lost_reason=""),
                name="deals_deal_lost_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["stage", "expected_close_date"])]

    def __str__(self) -> str:
        return self.name

    # -- stage machine (pure: services call these, save and audit) ---------------------------

    def _enter_stage(self) -> None:
        self.stage_changed_at = timezone.now()

    @transition(field=stage, source=DealStage.QUALIFICATION, target=DealStage.PROPOSAL)
    def propose(self) -> None:
        self._enter_stage()

    @transition(field=stage, source=DealStage.PROPOSAL, target=DealStage.NEGOTIATION)
    def negotiate(self) -> None:
        self._enter_stage()

    @transition(field=stage, source=DealStage.NEGOTIATION, target=DealStage.WON)
    def win(self) -> None:
        self._enter_stage()
        self.won_at = self.stage_changed_at

    @transition(field=stage, source=list(OPEN_DEAL_STAGES), target=DealStage.LOST)
    def lose(self) -> None:
        self._enter_stage()
        self.lost_at = self.stage_changed_at

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_DEAL_STAGES


# The transition that enters each stage.
STAGE_TRANSITIONS: dict[str, str] = {
    DealStage.PROPOSAL: "propose",
    DealStage.NEGOTIATION: "negotiate",
    DealStage.WON: "win",
    DealStage.LOST: "lose",
}


class DealProposal(ReviewableArtifact):
    """A proposal for a deal (summary, amount, next step, qualification notes) that a
    reviewer approves before code applies it to the deal."""

    REVIEW_ENTITY_TYPE: ClassVar[str] = "deal_proposal"
    REVIEW_PERMISSION: ClassVar[str] = "reviews.decide_deal"
    REVIEW_EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "summary",
        "proposed_amount",
        "next_step",
        "qualification_notes",
    )

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="proposals")
    summary = models.TextField()
    proposed_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3)
    next_step = models.CharField(max_length=300, blank=True)
    qualification_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposed_amount__gte=0), name="deals_dealproposal_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"Proposal for {self.deal}"

    def review_title(self) -> str:
        return f"Proposal: {self.deal.name}"

    def review_amount(self) -> tuple[Decimal | None, str]:
        return self.proposed_amount, self.currency
