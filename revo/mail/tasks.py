"""Celery entry points of the outbox (queue ``mail``): thin, idempotent, tenant-bound."""

from __future__ import annotations

from revo.celery import app
from revo.mail.services import email_deliver, email_outbox_sweep


@app.task(name="mail.send_email", acks_late=True, ignore_result=True)
def send_email(message_id: int, dispatch_id: str) -> str:
    """Send one outbox message; a stale or repeated delivery of this task does nothing."""
    return str(email_deliver(message_id=message_id, dispatch_id=dispatch_id))


@app.task(name="mail.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    """Periodic: settle messages a crashed worker left in ``sending`` and re-dispatch lost
    queued ones."""
    result = email_outbox_sweep()
    return {"outcome_unknown": result.outcome_unknown, "redispatched": result.redispatched}
