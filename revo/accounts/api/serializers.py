from __future__ import annotations

from django.db import connection
from rest_framework import serializers

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.api.serializers import StrictInputSerializer


class TokenObtainInputSerializer(StrictInputSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshInputSerializer(StrictInputSerializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Bearer token, valid 10 minutes.")
    refresh = serializers.CharField(help_text="Exchange for a new pair once; valid 1 day.")


class LogoutOutputSerializer(serializers.Serializer):
    jti = serializers.CharField(help_text="Id of the refresh token now revoked.")


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "full_name", "role", "is_active", "date_joined")
        read_only_fields = fields


class MeOutputSerializer(serializers.ModelSerializer):
    tenant = serializers.SerializerMethodField()
    is_platform_operator = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "role",
            "permissions_version",
            "tenant",
            "is_platform_operator",
        )
        read_only_fields = fields

    def get_tenant(self, user: User) -> str:
        return connection.schema_name

    def get_is_platform_operator(self, user: User) -> bool:
        return connection.schema_name == "public" and user.is_superuser


class UserCreateInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    role = serializers.ChoiceField(choices=Role.choices)
    full_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class UserRoleInputSerializer(StrictInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
