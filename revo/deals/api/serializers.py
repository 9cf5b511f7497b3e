from __future__ import annotations

from rest_framework import serializers

from revo.accounts.models import User
from revo.api.mutations import with_audit_id
from revo.api.serializers import StrictInputSerializer
from revo.audit.services import allowed_transitions
from revo.deals.models import STAGE_TRANSITIONS, Deal, DealStage, QualificationLevel
from revo.leads.models import Lead

_BANT = (
    "budget",
    "budget_rationale",
    "authority",
    "authority_rationale",
    "need",
    "need_rationale",
    "timeline",
    "timeline_rationale",
)
DEAL_OUTPUT_FIELDS = (
    "id",
    "lead",
    "lead_email",
    "name",
    "amount",
    "currency",
    "stage",
    "probability",
    "expected_close_date",
    "next_step",
    "owner",
    *_BANT,
    "lost_reason",
    "stage_changed_at",
    "won_at",
    "lost_at",
    "created_at",
    "updated_at",
    "allowed_stages",
)
_STAGE_BY_TRANSITION = {name: stage for stage, name in STAGE_TRANSITIONS.items()}


class DealOutputSerializer(serializers.ModelSerializer):
    lead_email = serializers.EmailField(source="lead.email", read_only=True)
    allowed_stages = serializers.SerializerMethodField(
        help_text="Stages the deal may move to now (through /advance, /won or /lost)."
    )

    class Meta:
        model = Deal
        fields = DEAL_OUTPUT_FIELDS
        read_only_fields = fields

    def get_allowed_stages(self, deal: Deal) -> list[str]:
        return sorted(
            str(_STAGE_BY_TRANSITION[name])
            for name in allowed_transitions(deal, "stage")
            if name in _STAGE_BY_TRANSITION
        )


DealMutationSerializer = with_audit_id(DealOutputSerializer, "DealMutationSerializer")


def _level() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=QualificationLevel.choices, required=False)


def _rationale() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=5000)


class _DealFieldsInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=True
    )
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217, e.g. EUR."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    next_step = serializers.CharField(max_length=300, required=False, allow_blank=True)
    budget = _level()
    budget_rationale = _rationale()
    authority = _level()
    authority_rationale = _rationale()
    need = _level()
    need_rationale = _rationale()
    timeline = _level()
    timeline_rationale = _rationale()


class DealCreateInputSerializer(_DealFieldsInput):
    lead = serializers.PrimaryKeyRelatedField(
        queryset=Lead.objects.all(), help_text="A qualified lead; it becomes converted."
    )


class DealUpdateInputSerializer(_DealFieldsInput):
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DealAdvanceInputSerializer(StrictInputSerializer):
    to = serializers.ChoiceField(
        choices=[DealStage.PROPOSAL, DealStage.NEGOTIATION, DealStage.WON, DealStage.LOST],
        help_text="Target stage; lost needs a reason.",
    )
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, default=None
    )


class DealLostInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000)


class DealWonInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


BANT_FIELDS = _BANT
