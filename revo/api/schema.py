"""OpenAPI generation: every operation documents its error responses with the envelope
component, and idempotent POSTs their ``Idempotency-Key`` header."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from revo.api.idempotency import IDEMPOTENCY_HEADER, KEY_PATTERN, is_idempotent
from revo.api.permissions import AUTHENTICATED, PUBLIC, IsPlatformOperator, required_permission_for
from revo.api.serializers import ErrorEnvelopeSerializer

ERROR_DESCRIPTIONS = {
    "400": "validation_error: the request is invalid (field errors in details).",
    "401": "not_authenticated: missing, invalid, expired or revoked token.",
    "403": "permission_denied: the role does not allow this action.",
    "404": "not_found",
    "409": "conflict or illegal_transition (details.allowed_transitions).",
    "422": "validation_error: refused by the domain, or Idempotency-Key reused with another body.",
    "429": "throttled: retry after the Retry-After header's seconds.",
    "500": "server_error: details.error_id identifies the logged failure.",
}


class RevoAutoSchema(AutoSchema):
    def _handler(self) -> Any:
        return getattr(self.view, self.method.lower(), None)

    def error_status_codes(self) -> set[str]:
        codes = {"500"}
        view_class = type(self.view)
        permission = required_permission_for(view_class, self.method)
        if permission != PUBLIC:
            codes.add("401")
            if permission != AUTHENTICATED or any(
                issubclass(cls, IsPlatformOperator) for cls in self.view.permission_classes
            ):
                codes.add("403")
        if self.method in {"POST", "PUT", "PATCH"} or self._is_list_view():
            codes.add("400")
        if "{" in self.path or self._is_list_view():
            codes.add("404")
        if is_idempotent(self._handler()):
            codes |= {"400", "409", "422"}
        codes |= {str(code) for code in getattr(self.view, "error_status_codes", ())}
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        envelope = self.resolve_serializer(ErrorEnvelopeSerializer, "response").ref
        for code in sorted(self.error_status_codes()):
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": envelope}},
                    "description": ERROR_DESCRIPTIONS.get(code, "error"),
                },
            )
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and is_idempotent(self._handler()):
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    pattern=KEY_PATTERN,
                    description="Retries with the same key and body replay the first "
                    "response (header Idempotency-Replayed: true) for 24 hours.",
                )
            )
        return parameters


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "revo.api.authentication.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            **build_bearer_security_scheme_object(
                header_name="Authorization",
                token_prefix="Bearer",  # noqa: S106 - a scheme name
                bearer_format="JWT",
            ),
            "description": "Access token from POST /api/v1/auth/token, valid on the host "
            "(tenant) that issued it.",
        }


def strict_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: request bodies accept no other keys than the documented ones
    (``StrictInputSerializer`` refuses them)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
