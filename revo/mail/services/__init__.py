"""Every write of the mail app goes through here."""

from revo.mail.services._common import mail_settings_ensure
from revo.mail.services.compliance import mail_event_record, mail_settings_update, suppression_add
from revo.mail.services.delivery import (
    DeliverOutcome,
    SweepResult,
    email_deliver,
    email_outbox_sweep,
    retry_delay,
)
from revo.mail.services.outbox import (
    AttachmentInput,
    email_cancel,
    email_enqueue,
    email_retry,
)

__all__ = [
    "AttachmentInput",
    "DeliverOutcome",
    "SweepResult",
    "email_cancel",
    "email_deliver",
    "email_enqueue",
    "email_outbox_sweep",
    "email_retry",
    "mail_event_record",
    "mail_settings_ensure",
    "mail_settings_update",
    "retry_delay",
    "suppression_add",
]
