"""Helpers shared by the mail services: audited transitions, dispatch after commit and the
artifact callbacks."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction

from revo.mail.models import EmailMessage, EmailStatusChange, MailSettings
from revo.mail.registry import artifact_sender_for

logger = logging.getLogger("revo.mail")

# Every field a transition or the send path may change; saved together with the status.
MUTABLE_FIELDS = [
    "status",
    "attempts",
    "not_before",
    "dispatch_id",
    "claimed_at",
    "provider_message_id",
    "error",
    "outcome_unknown",
    "sandboxed",
    "sandbox_path",
    "sent_at",
    "cancel_reason",
    "updated_at",
]


def transition_apply(
    message: EmailMessage, name: str, *, reason: str = "", by: Any = None
) -> EmailMessage:
    """Run the transition ``name`` on a locked message, save it and write its history row.
    Call inside ``transaction.atomic()``."""
    before = message.status
    getattr(message, name)()
    message.save(update_fields=MUTABLE_FIELDS)
    EmailStatusChange.objects.create(
        message=message, from_status=before, to_status=message.status, reason=reason, by=by
    )
    logger.info(
        "email %s",
        message.status,
        extra={
            "event": f"mail.{message.status}",
            "email_message": message.pk,
            "from_status": before,
            "reason": reason[:500],
        },
    )
    return message


def cancel_apply(message: EmailMessage, *, reason: str, by: Any = None) -> EmailMessage:
    """Cancel a locked queued message, keeping why (its history row says the same)."""
    reason = (reason or "").strip()[:500] or "cancelled"
    message.cancel_reason = reason
    return transition_apply(message, "cancel", reason=reason, by=by)


def dispatch_on_commit(message: EmailMessage, *, countdown: float = 0.0) -> None:
    """Give the message a fresh dispatch id (older tasks for it become no-ops) and enqueue
    its send task once the current transaction commits."""
    message.dispatch_id = uuid.uuid4()
    message_id, dispatch_id = message.pk, str(message.dispatch_id)

    def publish() -> None:
        from revo.mail.tasks import send_email

        try:
            send_email.apply_async(args=[message_id, dispatch_id], countdown=max(countdown, 0))
        except Exception:
            # The row is committed as queued: the outbox sweeper dispatches it again.
            logger.exception(
                "email task not enqueued",
                extra={"event": "mail.enqueue_failed", "email_message": message_id},
            )

    transaction.on_commit(publish)


def mail_settings_ensure() -> MailSettings:
    """The tenant's mail settings row, created with defaults on first use."""
    config, _ = MailSettings.objects.get_or_create(singleton=1)
    return config


def _artifact_load(message: EmailMessage) -> Any:
    content_type = message.artifact_content_type
    model = content_type.model_class()
    if model is None:
        raise LookupError(f"artifact model {content_type} is not installed")
    return model._default_manager.get(pk=message.artifact_id)


def artifact_veto(message: EmailMessage) -> str:
    """Why the message's artifact says its email must not go out now ("" when it may).
    An artifact that is gone, or a veto that fails, holds the email back too."""
    if message.artifact_content_type_id is None:
        return ""
    content_type = message.artifact_content_type
    sender = artifact_sender_for(f"{content_type.app_label}.{content_type.model}")
    if sender is None or sender.veto is None:
        return ""
    try:
        with transaction.atomic():
            return sender.veto(_artifact_load(message), message) or ""
    except Exception as exc:
        logger.exception(
            "artifact veto failed",
            extra={"event": "mail.veto_failed", "email_message": message.pk},
        )
        return f"the artifact could not be checked: {exc!r}"[:500]


def artifact_notify(message: EmailMessage, hook: str, payload: Any) -> None:
    """Call the registered ``hook`` (on_sent / on_failed / on_event) for the message's
    artifact, in a savepoint; a failing callback is logged and kept on the message."""
    if message.artifact_content_type_id is None:
        return
    content_type = message.artifact_content_type
    sender = artifact_sender_for(f"{content_type.app_label}.{content_type.model}")
    callback = getattr(sender, hook, None) if sender else None
    if callback is None:
        return
    try:
        with transaction.atomic():
            callback(_artifact_load(message), payload)
    except Exception as exc:
        logger.exception(
            "artifact callback failed",
            extra={"event": "mail.callback_failed", "email_message": message.pk, "hook": hook},
        )
        message.callback_error = f"{hook}: {exc!r}"[:2000]
        message.save(update_fields=["callback_error", "updated_at"])
