from __future__ import annotations

from collections.abc import Iterator

import pytest

from revo.mail.models import EmailKind, EmailStatus
from revo.mail.registry import (
    register_artifact_sender,
    register_suppression_listener,
    unregister_artifact_sender,
    unregister_suppression_listener,
)
from revo.mail.services import email_enqueue, mail_event_record, suppression_add
from tests.factories import UserFactory
from tests.mail.conftest import deliver, reload


@pytest.fixture
def calls() -> Iterator[list[tuple]]:
    """Callbacks registered for ``accounts.user`` used as a stand-in artifact model."""
    seen: list[tuple] = []
    register_artifact_sender(
        "accounts.User",
        on_sent=lambda artifact, message: seen.append(("sent", artifact.pk, message.status)),
        on_failed=lambda artifact, message: seen.append(("failed", artifact.pk, message.status)),
        on_event=lambda artifact, event: seen.append(("event", artifact.pk, event.kind)),
    )
    yield seen
    unregister_artifact_sender("accounts.user")


def _send_for(artifact, to_email: str = "lead@example.com"):  # noqa: ANN001, ANN202
    return email_enqueue(
        to_email=to_email,
        subject="About your trial",
        body_text="Hi",
        kind=EmailKind.OUTREACH,
        artifact=artifact,
    )


def test_the_artifact_hears_that_its_email_was_sent(mail_config, sandbox, calls):
    artifact = UserFactory()

    deliver(_send_for(artifact))

    assert calls == [("sent", artifact.pk, EmailStatus.SENT)]


@pytest.mark.parametrize(
    "how",
    [pytest.param("smtp-5xx", id="permanent-failure"), pytest.param("suppressed", id="suppressed")],
)
def test_the_artifact_hears_that_its_email_will_not_go(mail_config, smtp_server, calls, how):
    artifact = UserFactory()
    if how == "smtp-5xx":
        smtp_server.script("550 5.1.1 No such user")
    else:
        suppression_add(email="lead@example.com", reason="manual")

    message = _send_for(artifact)
    if how == "smtp-5xx":
        deliver(message)

    [(hook, pk, status)] = calls
    assert (hook, pk) == ("failed", artifact.pk)
    assert status == reload(message).status


def test_a_bounce_reaches_the_artifact_of_the_message_it_concerns(mail_config, sandbox, calls):
    artifact = UserFactory()
    message = _send_for(artifact, to_email="bouncy@example.com")
    deliver(message)

    event = mail_event_record(
        email="bouncy@example.com", kind="bounce", provider_message_id=message.message_id
    )

    assert event.message_id == message.pk
    assert calls[-1] == ("event", artifact.pk, "bounce")


def test_a_failing_callback_never_undoes_the_recorded_outcome(mail_config, sandbox):
    def broken(artifact, message) -> None:  # noqa: ANN001
        raise RuntimeError("lead app is broken")

    register_artifact_sender("accounts.user", on_sent=broken)
    try:
        message = _send_for(UserFactory())
        deliver(message)
    finally:
        unregister_artifact_sender("accounts.user")

    sent = reload(message)
    assert sent.status == EmailStatus.SENT
    assert "lead app is broken" in sent.callback_error


def test_suppression_listeners_hear_of_each_new_suppression_once(tenant_client, mail_config):
    heard: list[tuple[str, str]] = []

    def listener(suppression) -> None:  # noqa: ANN001
        heard.append((suppression.email, suppression.reason))

    register_suppression_listener(listener)
    try:
        suppression_add(email="a@example.com", reason="unsubscribed", source="link")
        suppression_add(email="A@example.com", reason="unsubscribed", source="link")
        mail_event_record(email="b@example.com", kind="complaint")
    finally:
        unregister_suppression_listener(listener)

    assert heard == [("a@example.com", "unsubscribed"), ("b@example.com", "complained")]


def test_a_model_label_must_name_app_and_model() -> None:
    with pytest.raises(ValueError, match="app_label.model"):
        register_artifact_sender("outreachmessage")
