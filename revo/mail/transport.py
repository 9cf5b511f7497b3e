"""Turning an outbox row into a MIME message and handing it over: to SMTP through Django's
email backend, or, in sandbox mode, to an ``.eml`` file under
``REVO_HOME/outbox/<schema>/`` that never leaves the machine.

Failures are classified for the retry policy:

* the connection could not be opened (refused, timeout, 4xx greeting) → temporary, retry;
* a 4xx reply to MAIL/RCPT/DATA → temporary, retry;
* a 5xx reply → permanent, fail at once;
* the connection broke after the message was handed over → outcome unknown: the
  recipient may have it, so it is never resent without a person deciding.
"""

from __future__ import annotations

import os
import re
import smtplib
import tempfile
from dataclasses import dataclass
from email.utils import formataddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection

from revo.embedded import revo_home
from revo.mail.models import EmailMessage


class DeliveryError(Exception):
    """The message was not (or maybe not) delivered; ``retryable`` and ``outcome_unknown``
    say what the outbox should do next."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        outcome_unknown: bool = False,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        self.code = code


@dataclass(frozen=True)
class Delivery:
    provider_message_id: str
    sandboxed: bool
    sandbox_path: str = ""


def build_email(message: EmailMessage) -> EmailMultiAlternatives:
    """The MIME message exactly as it is (or would be) sent."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=formataddr((message.from_name, message.from_email)),
        to=[formataddr((message.to_name, message.to_email))],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={**message.headers, "Message-ID": message.message_id},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.mimetype)
    return email


def raw_message(message: EmailMessage) -> str:
    return build_email(message).message().as_string()


def sandbox_dir(schema: str | None = None) -> Path:
    return revo_home() / "outbox" / (schema or connection.schema_name)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120]


def deliver_sandbox(message: EmailMessage, email: EmailMultiAlternatives) -> Delivery:
    """Write the message as an .eml file (atomically: a reader never sees half a file)."""
    directory = sandbox_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{message.pk:010d}-{_safe(message.message_id)}.eml"
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(email.message().as_bytes())
        os.replace(tmp, path)
    except OSError as exc:
        raise DeliveryError(f"sandbox outbox not writable: {exc}", retryable=True) from exc
    return Delivery(provider_message_id=message.message_id, sandboxed=True, sandbox_path=str(path))


def _reply_error(exc: smtplib.SMTPResponseException, stage: str) -> DeliveryError:
    code = int(exc.smtp_code)
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    kind = "temporary" if 400 <= code < 500 else "permanent"
    return DeliveryError(
        f"SMTP {kind} failure at {stage}: {code} {text}".strip(),
        retryable=400 <= code < 500,
        code=code,
    )


def _refused_error(exc: smtplib.SMTPRecipientsRefused) -> DeliveryError:
    codes = [int(code) for code, _ in exc.recipients.values()]
    replies = "; ".join(
        f"{rcpt}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for rcpt, (code, text) in exc.recipients.items()
    )
    temporary = bool(codes) and all(400 <= code < 500 for code in codes)
    kind = "temporary" if temporary else "permanent"
    return DeliveryError(
        f"SMTP {kind} failure at RCPT: {replies}",
        retryable=temporary,
        code=codes[0] if codes else None,
    )


def deliver_smtp(message: EmailMessage, email: EmailMultiAlternatives) -> Delivery:
    backend = get_connection(backend=settings.EMAIL_BACKEND, fail_silently=False)
    try:
        backend.open()
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(exc, "connect") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP connection failed: {exc!r}", retryable=True) from exc
    try:
        backend.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        raise _refused_error(exc) from exc
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(exc, "MAIL/DATA") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"SMTP connection lost during delivery, outcome unknown: {exc!r}",
            retryable=False,
            outcome_unknown=True,
        ) from exc
    finally:
        backend.close()
    return Delivery(provider_message_id=message.message_id, sandboxed=False)


def deliver(message: EmailMessage, email: EmailMultiAlternatives | None = None) -> Delivery:
    """Hand the message over (sandbox or SMTP, per ``MAIL_SANDBOX``); raises
    ``DeliveryError``. Never call inside a transaction: it does network I/O."""
    email = email or build_email(message)
    if settings.MAIL_SANDBOX:
        return deliver_sandbox(message, email)
    return deliver_smtp(message, email)
