"""Putting email in the outbox and the actions a person takes on it."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction

from revo.mail.compose import Footer, unsubscribe_headers, unsubscribe_url, with_footer
from revo.mail.locks import email_message_lock
from revo.mail.models import EmailAttachment, EmailKind, EmailMessage, EmailStatus
from revo.mail.selectors import (
    current_tenant,
    email_message_for_artifact,
    suppression_get,
    tenant_primary_domain,
)
from revo.mail.services._common import (
    artifact_notify,
    cancel_apply,
    dispatch_on_commit,
    mail_settings_ensure,
    transition_apply,
)

# Headers the outbox sets itself; callers may not override them.
RESERVED_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "message-id",
    "date",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "content-type",
    "mime-version",
}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content: bytes
    mimetype: str = ""


def _clean_address(value: str, field: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({field: f"{value!r} is not a valid email address"}) from None
    return value


def _validate(
    *, subject: str, kind: str, headers: Mapping[str, str], attachments: Sequence[AttachmentInput]
) -> None:
    errors: dict[str, str] = {}
    if not subject.strip() or "\n" in subject or "\r" in subject:
        errors["subject"] = "the subject must be one non-empty line"
    if kind not in EmailKind.values:
        errors["kind"] = f"unknown kind {kind!r}; use one of: {', '.join(EmailKind.values)}"
    for name, value in headers.items():
        if name.strip().lower() in RESERVED_HEADERS:
            errors["headers"] = f"header {name!r} is set by the outbox"
        elif any(ch in f"{name}{value}" for ch in "\r\n") or not name.strip():
            errors["headers"] = f"header {name!r} is malformed"
    for attachment in attachments:
        if not attachment.filename or "/" in attachment.filename or "\\" in attachment.filename:
            errors["attachments"] = f"invalid attachment file name {attachment.filename!r}"
        elif len(attachment.content) > MAX_ATTACHMENT_BYTES:
            errors["attachments"] = f"attachment {attachment.filename!r} is too large"
    if errors:
        raise ValidationError(errors)


def _store_attachments(message: EmailMessage, attachments: Sequence[AttachmentInput]) -> None:
    for item in attachments:
        mimetype = (
            item.mimetype or mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
        )
        attachment = EmailAttachment(
            message=message,
            filename=item.filename,
            mimetype=mimetype,
            size=len(item.content),
            sha256=hashlib.sha256(item.content).hexdigest(),
        )
        attachment.file.save(item.filename, ContentFile(item.content), save=False)
        attachment.save()


@transaction.atomic
def email_enqueue(
    *,
    to_email: str,
    subject: str,
    body_text: str,
    kind: str,
    to_name: str = "",
    body_html: str = "",
    artifact: models.Model | None = None,
    attachments: Sequence[AttachmentInput] = (),
    headers: Mapping[str, str] | None = None,
    from_email: str = "",
    from_name: str = "",
    reply_to: str = "",
    by: Any = None,
) -> EmailMessage:
    """Put one email in the outbox; its send task is enqueued when the transaction commits.

    An artifact is emailed at most once per kind: asking again returns the existing message.
    A suppressed recipient gives a message recorded as ``suppressed`` that is never sent.
    The tenant's sender identity and postal address go in the footer; outreach also gets a
    signed unsubscribe link and the RFC 8058 ``List-Unsubscribe`` headers."""
    headers = dict(headers or {})
    to_email = _clean_address(to_email, "to_email").lower()
    _validate(subject=subject, kind=kind, headers=headers, attachments=attachments)
    if artifact is not None:
        if artifact.pk is None:
            raise ValidationError({"artifact": "the artifact must be saved first"})
        existing = email_message_for_artifact(artifact=artifact, kind=kind)
        if existing is not None:
            return existing

    tenant = current_tenant()
    config = mail_settings_ensure()
    domain = tenant_primary_domain(tenant)
    sender_email = _clean_address(from_email or config.from_email or _default_from(), "from_email")
    sender_name = from_name or config.from_name or tenant.name
    reply_address = _clean_address(reply_to or config.reply_to, "reply_to", required=False)
    if kind == EmailKind.OUTREACH and not tenant.postal_address.strip():
        raise ValidationError(
            {"kind": "outreach needs the tenant's postal address for the footer; set it first"}
        )

    link = ""
    if kind == EmailKind.OUTREACH:
        link = unsubscribe_url(schema=tenant.schema_name, domain=domain, email=to_email)
        headers.update(unsubscribe_headers(url=link, mailto=reply_address or sender_email))
    text, html = with_footer(
        body_text=body_text,
        body_html=body_html,
        footer=Footer(sender_name, tenant.postal_address, link),
    )
    message = EmailMessage(
        to_email=to_email,
        to_name=to_name,
        from_email=sender_email,
        from_name=sender_name,
        reply_to=reply_address,
        subject=subject.strip(),
        body_text=text,
        body_html=html,
        headers=headers,
        message_id=make_msgid(idstring="revo", domain=domain),
        kind=kind,
        artifact_content_type=ContentType.objects.get_for_model(artifact) if artifact else None,
        artifact_id=artifact.pk if artifact else None,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if artifact is None:
            raise
        # A concurrent call queued this artifact first: that message is the one.
        return email_message_for_artifact(artifact=artifact, kind=kind)
    _store_attachments(message, attachments)
    message.history.create(from_status="", to_status=EmailStatus.QUEUED, reason="queued", by=by)

    suppression = suppression_get(to_email)
    if suppression is not None:
        transition_apply(
            message, "suppress", reason=f"recipient suppressed ({suppression.reason})", by=by
        )
        artifact_notify(message, "on_failed", message)
        return message
    dispatch_on_commit(message)
    message.save(update_fields=["dispatch_id", "updated_at"])
    return message


def _default_from() -> str:
    from django.conf import settings

    return settings.DEFAULT_FROM_EMAIL


@transaction.atomic
def email_cancel(*, message: EmailMessage, by: Any = None, reason: str = "") -> EmailMessage:
    """Cancel a queued message (its pending task becomes a no-op)."""
    locked = email_message_lock(message.pk)
    if locked is None or locked.status != EmailStatus.QUEUED:
        raise ValidationError(f"only queued messages can be cancelled (this one is {_st(locked)})")
    return cancel_apply(locked, reason=reason or "cancelled by a person", by=by)


@transaction.atomic
def email_retry(*, message: EmailMessage, by: Any = None, reason: str = "") -> EmailMessage:
    """Put a failed message back in the queue: a person decided it should be sent again
    (for an outcome-unknown failure, after checking it did not arrive)."""
    locked = email_message_lock(message.pk)
    if locked is None or locked.status != EmailStatus.FAILED:
        raise ValidationError(f"only failed messages can be retried (this one is {_st(locked)})")
    locked.attempts = 0
    transition_apply(locked, "retry", reason=reason or "retried by a person", by=by)
    dispatch_on_commit(locked)
    locked.save(update_fields=["dispatch_id", "updated_at"])
    return locked


def _st(message: EmailMessage | None) -> str:
    return "gone" if message is None else str(message.status)
