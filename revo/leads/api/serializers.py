from __future__ import annotations

from rest_framework import serializers

from revo.accounts.models import User
from revo.api.mutations import AuditIdField, with_audit_id
from revo.api.serializers import StrictInputSerializer
from revo.leads.csv_import import ImportReport
from revo.leads.facts import COMPANY_SIZE_MAX
from revo.leads.models import LEAD_TRANSITIONS, LawfulBasis, Lead, Reply
from revo.leads.validation import LEAD_DATA_FIELDS

LEAD_OUTPUT_FIELDS = (
    "id",
    *LEAD_DATA_FIELDS,
    "owner",
    "score",
    "score_reasons",
    "scored_at",
    "status",
    "status_changed_at",
    "last_contacted_at",
    "next_follow_up_at",
    "created_at",
    "updated_at",
    "allowed_transitions",
)


class LeadOutputSerializer(serializers.ModelSerializer):
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Transitions the lead's status allows now."
    )

    class Meta:
        model = Lead
        fields = LEAD_OUTPUT_FIELDS
        read_only_fields = fields

    def get_allowed_transitions(self, lead: Lead) -> list[str]:
        return sorted(
            name for name, (sources, _) in LEAD_TRANSITIONS.items() if lead.status in sources
        )


LeadMutationSerializer = with_audit_id(LeadOutputSerializer, "LeadMutationSerializer")


class _LeadDataInput(StrictInputSerializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    industry = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Stored lower-cased, e.g. software; blank when unknown.",
    )
    company_size = serializers.IntegerField(
        min_value=1,
        max_value=COMPANY_SIZE_MAX - 1,
        required=False,
        allow_null=True,
        help_text="Number of employees; null when unknown.",
    )
    website = serializers.CharField(max_length=300, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2, e.g. DE."
    )
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lawful_basis = serializers.ChoiceField(choices=LawfulBasis.choices, required=False)
    consent_note = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    next_follow_up_at = serializers.DateTimeField(required=False, allow_null=True)


class LeadCreateInputSerializer(_LeadDataInput):
    email = serializers.EmailField(max_length=254)


class LeadUpdateInputSerializer(_LeadDataInput):
    email = serializers.EmailField(max_length=254, required=False)


class LeadTransitionInputSerializer(StrictInputSerializer):
    transition = serializers.ChoiceField(choices=sorted(LEAD_TRANSITIONS))
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class LeadDeleteInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class DeletedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    audit_id = AuditIdField()


class LeadImportInputSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="A CSV export (HubSpot, Salesforce, spreadsheet...).")
    on_existing = serializers.ChoiceField(
        choices=("skip", "update"),
        default="skip",
        help_text="What to do with a row whose email already has a lead.",
    )
    source = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row number (the header is row 1).")
    email = serializers.CharField()
    reason = serializers.CharField()
    lead_id = serializers.IntegerField(allow_null=True)


class ImportReportSerializer(serializers.Serializer):
    summary = serializers.SerializerMethodField()
    rows = serializers.IntegerField()
    encoding = serializers.CharField()
    delimiter = serializers.CharField()
    columns = serializers.DictField(
        child=serializers.CharField(), help_text="File header → lead field."
    )
    ignored_columns = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    created = ImportRowSerializer(many=True)
    updated = ImportRowSerializer(many=True)
    skipped = ImportRowSerializer(many=True)
    errors = ImportRowSerializer(many=True)

    def get_summary(self, report: ImportReport) -> str:
        return report.summary()


class ReplyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reply
        fields = (
            "id",
            "lead",
            "received_at",
            "from_email",
            "subject",
            "body",
            "message_id",
            "classification",
            "classified_at",
            "not_now_until",
            "handled",
            "handled_at",
            "created_at",
        )
        read_only_fields = fields


class ReplyCreateInputSerializer(StrictInputSerializer):
    from_email = serializers.EmailField(
        max_length=254, required=False, help_text="Defaults to the lead's email."
    )
    subject = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    body = serializers.CharField(required=False, default="", allow_blank=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    message_id = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
