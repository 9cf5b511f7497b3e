"""The tenant's agent settings: read by every role, changed by admins. The body's types
are checked here; ranges, the price list and the rest by ``agent_settings_update``, whose
refusals answer 400 with the message by field like any other invalid body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from revo.agents.agents.common import agent_settings
from revo.agents.models import AgentSettings
from revo.agents.services_settings import EDITABLE_FIELDS, agent_settings_update
from revo.api.serializers import StrictInputSerializer
from revo.api.views import ApiView
from revo.core.exceptions import InvalidInput

TAGS = ["agent settings"]


class _NumberField(serializers.FloatField):
    """A number shown as stored: whole weights stay whole (25, not 25.0)."""

    def to_representation(self, value: Any) -> Any:
        return value


class OfferLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text="An active price list item's SKU.")
    quantity = serializers.IntegerField(min_value=1, default=1)


class AgentSettingsOutputSerializer(serializers.ModelSerializer):
    target_industries = serializers.ListField(child=serializers.CharField())
    target_countries = serializers.ListField(child=serializers.CharField())
    scoring_weights = serializers.DictField(
        child=_NumberField(), help_text="Rubric criterion → weight."
    )
    source_scores = serializers.DictField(
        child=serializers.IntegerField(), help_text="Lead source (lower-case) → 0–100."
    )
    offer_package = OfferLineSerializer(many=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="Null while the tenant uses the defaults."
    )

    class Meta:
        model = AgentSettings
        fields = (*EDITABLE_FIELDS, "updated_at")
        read_only_fields = fields

    def to_representation(self, instance: AgentSettings) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.pk is None:
            data["updated_at"] = None
        return data


def _text(name: str) -> serializers.CharField:
    field = AgentSettings._meta.get_field(name)
    return serializers.CharField(
        max_length=field.max_length, required=False, allow_blank=field.blank
    )


class AgentSettingsUpdateInputSerializer(StrictInputSerializer):
    icp = _text("icp")
    target_industries = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True),
        required=False,
        max_length=200,
        help_text="Stored lower-cased, e.g. software.",
    )
    target_countries = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=250,
        help_text="ISO 3166-1 alpha-2 codes, e.g. DE (stored upper-cased).",
    )
    min_company_size = serializers.IntegerField(required=False)
    max_company_size = serializers.IntegerField(required=False)
    scoring_weights = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text="Exactly the rubric's criteria: title, company_size, industry, source, "
        "completeness; numbers from 0, not all 0.",
    )
    source_scores = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Lead source → 0–100; replaces the whole table.",
    )
    model_weight_pct = serializers.IntegerField(required=False, help_text="0–100.")
    follow_up_after_days = serializers.IntegerField(required=False, help_text="1–365.")
    max_follow_ups = serializers.IntegerField(required=False, help_text="0–10.")
    sender_name = _text("sender_name")
    sender_title = _text("sender_title")
    sender_company = _text("sender_company")
    finance_sender_name = _text("finance_sender_name")
    finance_sender_title = _text("finance_sender_title")
    offering_name = _text("offering_name")
    offering_pitch = _text("offering_pitch")
    offering_summary = _text("offering_summary")
    offer_package = OfferLineSerializer(many=True, required=False)
    contract_term_months = serializers.IntegerField(required=False, help_text="1–120.")


class AgentSettingsView(ApiView):
    """The agents' settings: ideal customer profile, scoring rubric weights, follow-up
    cadence, senders and the standard offer. Before anyone changed them, the defaults."""

    required_permission = {
        "GET": "agents.view_agentsettings",
        "PATCH": "agents.change_agentsettings",
    }
    filter_backends: list[type] = []  # one object: no list filters

    @extend_schema(tags=TAGS, responses={200: AgentSettingsOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(AgentSettingsOutputSerializer(agent_settings()).data)

    @extend_schema(
        tags=TAGS,
        request=AgentSettingsUpdateInputSerializer,
        responses={200: AgentSettingsOutputSerializer},
        description="Change some settings; the fields not given stay as they are. Every "
        "change is audited. A value out of range → 400 naming the field; nothing is saved.",
    )
    def patch(self, request: Request) -> Response:
        data = AgentSettingsUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "offer_package" in changes:
            changes["offer_package"] = [dict(line) for line in changes["offer_package"]]
        try:
            saved = agent_settings_update(by=request.user, **changes)
        except InvalidInput as exc:
            raise serializers.ValidationError(
                {name: [message] for name, message in exc.details.items()}
            ) from None
        return Response(AgentSettingsOutputSerializer(saved).data)
