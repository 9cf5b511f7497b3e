"""Row locks of the outbox, named so a reader sees where concurrency is handled."""

from __future__ import annotations

from revo.mail.models import EmailMessage


def email_message_lock(pk: int) -> EmailMessage | None:
    """The message, locked for the rest of the transaction (``None`` if it is gone)."""
    return EmailMessage.objects.select_for_update().filter(pk=pk).first()
