"""Outbound email: the outbox.

* Every email is an ``EmailMessage`` row first (``services.email_enqueue``); a task on the
  ``mail`` queue sends it after commit (``tasks.send_email`` → ``services.email_deliver``).
* Exactly once: one message per (artifact, kind), enforced by a unique constraint; the send
  claims the row under a lock, commits, sends outside any transaction, then records the
  outcome. A message left in ``sending`` by a dead worker is failed as *outcome unknown* by
  the sweeper (``services.email_outbox_sweep``, task ``mail.sweep_outbox``) and never resent
  without a person's "retry".
* Temporary SMTP failures (connection refused, 4xx) are retried with bounded exponential
  backoff and jitter; permanent ones (5xx) fail at once. The row always says what happened.
* Sandbox (``MAIL_SANDBOX``, on unless set to false): messages become ``.eml`` files under
  ``REVO_HOME/outbox/<schema>/`` and never leave the machine.
* Compliance: suppression list checked at enqueue and at send; outreach carries a signed
  one-click unsubscribe link and RFC 8058 headers; every email carries the sender and the
  tenant's postal address; daily caps, a per-minute rate and business hours per tenant
  (``MailSettings``); bounces and complaints via ``services.mail_event_record`` and
  ``POST /u/events``.
* Domain apps plug in through ``registry`` (``register_artifact_sender``,
  ``register_suppression_listener``).
"""
