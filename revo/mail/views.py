"""Public endpoints of a tenant's host for email recipients and the mail provider: the
one-click unsubscribe link and the bounce/complaint webhook. No login."""

from __future__ import annotations

import hmac
import json

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from revo.mail.models import SuppressionReason
from revo.mail.selectors import current_tenant, mail_settings_get, suppression_exists
from revo.mail.services import mail_event_record, suppression_add
from revo.mail.tokens import UnsubscribeTokenError, unsubscribe_token_read

WEBHOOK_SECRET_HEADER = "X-Revo-Webhook-Secret"  # noqa: S105 - a header name


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation page with a button (link scanners must not unsubscribe
    anyone); POST suppresses the address at once. Repeating either is harmless."""
    tenant = current_tenant()
    try:
        claim = unsubscribe_token_read(token, schema=connection.schema_name)
    except UnsubscribeTokenError as exc:
        return render(request, "mail/unsubscribe_invalid.html", {"error": str(exc)}, status=400)
    context = {"email": claim.email, "sender": tenant.name}
    if request.method == "POST":
        suppression_add(
            email=claim.email, reason=SuppressionReason.UNSUBSCRIBED, source="unsubscribe link"
        )
        return render(request, "mail/unsubscribe_done.html", context)
    context["already"] = suppression_exists(claim.email)
    return render(request, "mail/unsubscribe_confirm.html", context)


def _error(status: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JsonResponse(body, status=status)


@csrf_exempt  # authenticated by the tenant's webhook secret, not by a session
@require_POST
def mail_events(request: HttpRequest) -> JsonResponse:
    """``POST /u/events`` with ``X-Revo-Webhook-Secret`` and
    ``{"email": ..., "kind": "bounce"|"complaint", "detail": ..., "message_id": ...}``."""
    config = mail_settings_get()
    given = request.headers.get(WEBHOOK_SECRET_HEADER, "")
    if config is None or not config.webhook_secret or not given:
        return _error(401, "not_authenticated", f"send the {WEBHOOK_SECRET_HEADER} header")
    if not hmac.compare_digest(given.encode(), config.webhook_secret.encode()):
        return _error(403, "permission_denied", "the webhook secret is wrong")
    try:
        payload = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "invalid_json", "the body must be a JSON object")
    if not isinstance(payload, dict):
        return _error(400, "invalid_json", "the body must be a JSON object")
    try:
        event = mail_event_record(
            email=str(payload.get("email") or ""),
            kind=str(payload.get("kind") or ""),
            detail=str(payload.get("detail") or ""),
            provider_message_id=str(payload.get("message_id") or ""),
            source="webhook",
        )
    except ValidationError as exc:
        return _error(400, "validation_error", "the event was refused", exc.message_dict)
    return JsonResponse(
        {"id": event.pk, "email": event.email, "kind": event.kind, "suppressed": True},
        status=201,
    )
