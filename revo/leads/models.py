"""Leads, the outreach drafts written to them, and the replies they send back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from revo.core.models import SoftDeleteModel, TimestampedModel
from revo.reviews.models import ReviewableArtifact, ReviewStatus


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    ENGAGED = "engaged", "Engaged"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    CONVERTED = "converted", "Converted"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
    CONTRACT = "contract", "Contract"


S = LeadStatus

#: transition name → (legal sources, target). The single table the model's transitions,
#: the admin actions and the tests read.
LEAD_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "contact": ((S.NEW,), S.CONTACTED),
    "engage": ((S.NEW, S.CONTACTED), S.ENGAGED),
    "qualify": ((S.ENGAGED,), S.QUALIFIED),
    "disqualify": ((S.NEW, S.CONTACTED, S.ENGAGED, S.QUALIFIED), S.DISQUALIFIED),
    "unsubscribe": (
        (S.NEW, S.CONTACTED, S.ENGAGED, S.QUALIFIED, S.DISQUALIFIED),
        S.UNSUBSCRIBED,
    ),
    "bounce": ((S.NEW, S.CONTACTED, S.ENGAGED, S.QUALIFIED), S.BOUNCED),
    "convert": ((S.QUALIFIED,), S.CONVERTED),
}


def _sources(name: str) -> list[str]:
    return [str(s) for s in LEAD_TRANSITIONS[name][0]]


def _target(name: str) -> str:
    return str(LEAD_TRANSITIONS[name][1])


class Lead(FSMModelMixin, SoftDeleteModel):
    """A person at a company we may sell to.

    Status machine (transition: sources → target)::

        contact      new                                              → contacted
        engage       new, contacted                                   → engaged
        qualify      engaged                                          → qualified
        disqualify   new, contacted, engaged, qualified               → disqualified
        unsubscribe  new, contacted, engaged, qualified, disqualified → unsubscribed
        bounce       new, contacted, engaged, qualified               → bounced
        convert      qualified                                        → converted

    ``unsubscribed``, ``bounced`` and ``converted`` are terminal. An opt-out is honoured
    from every state in which we might still write (a disqualified lead included);
    ``converted`` happens once a deal exists for a qualified lead. Follow-ups to a lead
    that is already contacted or engaged do not change its status (only
    ``last_contacted_at``). Every change goes through ``services.lead_transition``.

    The email is stored lowercased and is unique per tenant among non-deleted leads.
    ``industry`` is stored lower-cased and trimmed (blank: unknown); ``company_size`` is a
    number of employees from 1 (null: unknown). See ``revo.leads.facts``.
    """

    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    industry = models.CharField(
        max_length=100, blank=True, help_text="Lower-case, e.g. software; blank when unknown."
    )
    company_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of employees; empty when unknown."
    )
    website = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. DE."
    )
    source = models.CharField(max_length=100, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    lawful_basis = models.CharField(
        max_length=32, choices=LawfulBasis.choices, default=LawfulBasis.LEGITIMATE_INTEREST
    )
    consent_note = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–100")
    score_reasons = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    status = FSMField(
        max_length=32,
        choices=LeadStatus.choices,
        default=LeadStatus.NEW,
        protected=True,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    next_follow_up_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(deleted_at__isnull=True),
                name="leads_lead_email_ci_unique_alive",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="leads_lead_email_lowercase"
            ),
            models.CheckConstraint(condition=~Q(email=""), name="leads_lead_email_present"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="leads_lead_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="leads_lead_country_alpha2",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LeadStatus.values), name="leads_lead_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(company_size__isnull=True) | Q(company_size__gte=1),
                name="leads_lead_company_size_positive",
            ),
            models.CheckConstraint(
                condition=Q(industry=Lower(Trim("industry"))), name="leads_lead_industry_normalized"
            ),
            models.CheckConstraint(
                condition=Q(lawful_basis__in=LawfulBasis.values),
                name="leads_lead_lawful_basis_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="leads_lead_status_new"),
            models.Index(fields=["industry"], name="leads_lead_industry"),
        ]
        permissions = [
            ("import_leads", "Can import leads from CSV"),
            ("export_leads", "Can export leads to CSV"),
        ]

    def __str__(self) -> str:
        name = self.full_name
        return f"{name} <{self.email}>" if name else self.email

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    # -- state machine (pure: services call these through transition_apply) ---------------

    def _stamp(self) -> None:
        self.status_changed_at = timezone.now()

    @transition(field=status, source=_sources("contact"), target=_target("contact"))
    def contact(self) -> None:
        self._stamp()
        self.last_contacted_at = self.status_changed_at

    @transition(field=status, source=_sources("engage"), target=_target("engage"))
    def engage(self) -> None:
        self._stamp()

    @transition(field=status, source=_sources("qualify"), target=_target("qualify"))
    def qualify(self) -> None:
        self._stamp()

    @transition(field=status, source=_sources("disqualify"), target=_target("disqualify"))
    def disqualify(self) -> None:
        self._stamp()
        self.next_follow_up_at = None

    @transition(field=status, source=_sources("unsubscribe"), target=_target("unsubscribe"))
    def unsubscribe(self) -> None:
        self._stamp()
        self.next_follow_up_at = None

    @transition(field=status, source=_sources("bounce"), target=_target("bounce"))
    def bounce(self) -> None:
        self._stamp()
        self.next_follow_up_at = None

    @transition(field=status, source=_sources("convert"), target=_target("convert"))
    def convert(self) -> None:
        self._stamp()
        self.next_follow_up_at = None


class OutreachMessage(ReviewableArtifact):
    """An email drafted to a lead, held for review before anything is sent.

    ``to_email`` is fixed by code (the lead's email when the draft is made), never by the
    model or a reviewer. One live draft per lead and sequence step: a rejected draft or
    one sent back for regeneration no longer counts, so a new draft of the same step can
    take its place while the old one stays for the audit trail.
    """

    REVIEW_ENTITY_TYPE = "outreach"
    REVIEW_PERMISSION = "reviews.decide_outreach"
    REVIEW_EDITABLE_FIELDS = ("subject", "body")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="outreach_messages")
    sequence_step = models.PositiveSmallIntegerField(
        default=1, help_text="1 = first touch, 2 and up = follow-ups."
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    to_email = models.EmailField(max_length=254, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "sequence_step"],
                condition=~Q(
                    review_status__in=[
                        ReviewStatus.REJECTED,
                        ReviewStatus.REGENERATE_REQUESTED,
                    ]
                ),
                name="leads_outreach_one_live_draft_per_step",
            ),
            models.CheckConstraint(
                condition=Q(sequence_step__gte=1), name="leads_outreach_step_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence_step} to {self.to_email}: {self.subject}"

    def review_title(self) -> str:
        return f"Step {self.sequence_step} to {self.to_email}: {self.subject}"


class ReplyClassification(models.TextChoices):
    INTERESTED = "interested", "Interested"
    QUESTION = "question", "Question"
    OBJECTION = "objection", "Objection"
    NOT_NOW = "not_now", "Not now"
    NOT_INTERESTED = "not_interested", "Not interested"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    OUT_OF_OFFICE = "out_of_office", "Out of office"
    BOUNCE = "bounce", "Bounce"


class Reply(TimestampedModel):
    """An email a lead sent back. ``classification`` stays blank until classified."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="replies")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    from_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    message_id = models.CharField(
        max_length=300, blank=True, help_text="The email's Message-ID, when known."
    )
    classification = models.CharField(
        max_length=32, choices=ReplyClassification.choices, blank=True, db_index=True
    )
    classified_at = models.DateTimeField(null=True, blank=True)
    not_now_until = models.DateField(null=True, blank=True)
    handled = models.BooleanField(default=False, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "replies"
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="leads_reply_message_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(classification="") | Q(classification__in=ReplyClassification.values),
                name="leads_reply_classification_valid",
            ),
            models.CheckConstraint(
                condition=Q(handled=False) | Q(handled_at__isnull=False),
                name="leads_reply_handled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject or '(no subject)'}"
