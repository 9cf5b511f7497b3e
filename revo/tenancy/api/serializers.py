from __future__ import annotations

from rest_framework import serializers

from revo.api.serializers import StrictInputSerializer
from revo.tenancy.models import Tenant


class TenantCreateInputSerializer(StrictInputSerializer):
    slug = serializers.CharField(max_length=63)
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253)
    admin_email = serializers.CharField(max_length=254)
    admin_password = serializers.CharField(
        max_length=4096,
        required=False,
        trim_whitespace=False,
        help_text="Generated and returned once when omitted.",
    )
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")
    currency = serializers.CharField(max_length=3, required=False, default="EUR")
    postal_address = serializers.CharField(required=False, default="", allow_blank=True)


class TenantOutputSerializer(serializers.ModelSerializer):
    domain = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = (
            "id",
            "slug",
            "name",
            "schema_name",
            "domain",
            "timezone",
            "default_currency",
            "is_active",
            "created_at",
        )
        read_only_fields = fields

    def get_domain(self, tenant: Tenant) -> str:
        return self.context["domain"]


class TenantProvisionedSerializer(serializers.Serializer):
    tenant = TenantOutputSerializer()
    admin_id = serializers.IntegerField()
    admin_email = serializers.EmailField()
    admin_password = serializers.CharField(
        allow_null=True, help_text="Only when it was generated; shown once."
    )
