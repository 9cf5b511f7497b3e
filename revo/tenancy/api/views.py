"""Platform operators' API on the public host."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.exceptions import Unprocessable
from revo.api.idempotency import idempotent
from revo.api.permissions import HasRequiredPermission, IsPlatformOperator
from revo.api.views import ApiView
from revo.tenancy.api.serializers import (
    TenantCreateInputSerializer,
    TenantOutputSerializer,
    TenantProvisionedSerializer,
)
from revo.tenancy.services import ProvisioningError, tenant_provision


class TenantProvisionView(ApiView):
    """Create a tenant: schema, domain, defaults and its first admin."""

    required_permission = "tenancy.add_tenant"
    permission_classes = [HasRequiredPermission, IsPlatformOperator]
    error_status_codes = (422,)

    @extend_schema(
        tags=["platform"],
        request=TenantCreateInputSerializer,
        responses={201: TenantProvisionedSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = TenantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            result = tenant_provision(**values)
        except ProvisioningError as exc:
            raise Unprocessable(str(exc)) from None
        body = {
            "tenant": TenantOutputSerializer(
                result.tenant, context={"domain": result.domain.domain}
            ).data,
            "admin_id": result.admin.pk,
            "admin_email": result.admin.email,
            "admin_password": result.admin_password if result.password_generated else None,
        }
        return Response(body, status=status.HTTP_201_CREATED)
