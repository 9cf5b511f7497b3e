from __future__ import annotations

from rest_framework import serializers

from revo.api.mutations import with_audit_id
from revo.api.serializers import StrictInputSerializer
from revo.contracts.models import Contract, ContractLine, NegotiationParty, NegotiationRound

CONTRACT_FIELDS = (
    "id",
    "deal",
    "deal_name",
    "lead_email",
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
    "sent_at",
    "signed_at",
    "closed_at",
    "created_at",
    "updated_at",
)


class ContractOutputSerializer(serializers.ModelSerializer):
    deal_name = serializers.CharField(source="deal.name", read_only=True)
    lead_email = serializers.EmailField(source="deal.lead.email", read_only=True)

    class Meta:
        model = Contract
        fields = CONTRACT_FIELDS
        read_only_fields = fields


class ContractLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractLine
        fields = (
            "position",
            "sku",
            "description",
            "unit",
            "quantity",
            "unit_price",
            "discount_pct",
            "line_total",
        )
        read_only_fields = fields


class ContractDetailOutputSerializer(ContractOutputSerializer):
    lines = ContractLineOutputSerializer(many=True, read_only=True)

    class Meta(ContractOutputSerializer.Meta):
        fields = (*CONTRACT_FIELDS, "lines")
        read_only_fields = fields


ContractMutationSerializer = with_audit_id(
    ContractDetailOutputSerializer, "ContractMutationSerializer"
)


class ContractReviseInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class NegotiationRoundOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = NegotiationRound
        fields = (
            "id",
            "contract",
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
        read_only_fields = fields


NegotiationRoundMutationSerializer = with_audit_id(
    NegotiationRoundOutputSerializer, "NegotiationRoundMutationSerializer"
)


class NegotiationRoundInputSerializer(StrictInputSerializer):
    party = serializers.ChoiceField(
        choices=NegotiationParty.choices,
        default=NegotiationParty.CUSTOMER,
        help_text="customer: a counter-offer the negotiation agent answers; us: our offer "
        "(bounded by the pricing policy's floor).",
    )
    offered_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, help_text="Total price offered."
    )
    discount_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default="0"
    )
    terms = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True)
