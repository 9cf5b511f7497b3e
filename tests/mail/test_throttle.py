from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from revo.mail.models import EmailKind, EmailStatus
from revo.mail.services import DeliverOutcome, email_enqueue, mail_settings_update
from tests.mail.conftest import WEDNESDAY_10_BERLIN, deliver, reload


def _queue(n: int = 1, *, from_email: str = "") -> list:
    return [
        email_enqueue(
            to_email=f"lead{i}@example.com",
            subject=f"Hello {i}",
            body_text="Hi",
            kind=EmailKind.NOTIFICATION,
            from_email=from_email,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        pytest.param(
            datetime(2026, 11, 25, 19, 0, tzinfo=UTC),  # Wed 20:00 Berlin
            datetime(2026, 11, 26, 7, 0, tzinfo=UTC),  # Thu 08:00 Berlin
            id="wednesday-evening",
        ),
        pytest.param(
            datetime(2026, 11, 25, 5, 30, tzinfo=UTC),  # Wed 06:30 Berlin
            datetime(2026, 11, 25, 7, 0, tzinfo=UTC),
            id="wednesday-early-morning",
        ),
        pytest.param(
            datetime(2026, 11, 28, 11, 0, tzinfo=UTC),  # Sat 12:00 Berlin
            datetime(2026, 11, 30, 7, 0, tzinfo=UTC),  # Mon 08:00 Berlin
            id="saturday",
        ),
    ],
)
def test_outside_business_hours_the_message_waits_for_the_next_window(
    mail_config, sandbox, now, opens
):
    [message] = _queue()

    outcome = deliver(message, now=now)

    waiting = reload(message)
    assert outcome == DeliverOutcome.WAITING
    assert waiting.status == EmailStatus.QUEUED
    assert waiting.not_before == opens
    assert waiting.attempts == 0
    assert deliver(message, now=opens) == DeliverOutcome.SENT


def test_business_days_and_hours_are_configurable(mail_config, sandbox):
    mail_settings_update(business_days=[5], business_start=time(10), business_end=time(12))
    [message] = _queue()
    saturday_11_berlin = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

    assert deliver(message, now=WEDNESDAY_10_BERLIN) == DeliverOutcome.WAITING
    assert reload(message).not_before == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert deliver(message, now=saturday_11_berlin) == DeliverOutcome.SENT


def test_business_hours_can_be_switched_off(mail_config, sandbox):
    mail_settings_update(business_hours_only=False)
    [message] = _queue()

    assert deliver(message, now=datetime(2026, 11, 29, 2, 0, tzinfo=UTC)) == DeliverOutcome.SENT


def test_the_per_minute_rate_holds_the_next_message_for_the_rest_of_the_minute(
    mail_config, sandbox
):
    mail_settings_update(per_minute_rate=2)
    messages = _queue(3)
    now = WEDNESDAY_10_BERLIN

    outcomes = [
        deliver(messages[0], now=now),
        deliver(messages[1], now=now + timedelta(seconds=10)),
    ]
    held = deliver(messages[2], now=now + timedelta(seconds=20))

    assert outcomes == [DeliverOutcome.SENT, DeliverOutcome.SENT]
    assert held == DeliverOutcome.WAITING
    assert reload(messages[2]).not_before == now + timedelta(seconds=60)
    assert deliver(messages[2], now=now + timedelta(seconds=61)) == DeliverOutcome.SENT


def test_the_tenant_daily_cap_holds_messages_until_the_next_local_day(mail_config, sandbox):
    mail_settings_update(daily_cap=2, business_hours_only=False)
    messages = _queue(3)
    now = WEDNESDAY_10_BERLIN

    for offset, message in enumerate(messages):
        deliver(message, now=now + timedelta(minutes=offset))

    held = reload(messages[2])
    assert held.status == EmailStatus.QUEUED
    assert held.not_before == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # midnight in Berlin
    assert deliver(messages[2], now=held.not_before) == DeliverOutcome.SENT


def test_the_sender_daily_cap_counts_each_sender_apart(mail_config, sandbox):
    mail_settings_update(sender_daily_cap=1)
    first, second = _queue(2, from_email="ana@test.example")
    [other] = _queue(1, from_email="ben@test.example")
    now = WEDNESDAY_10_BERLIN

    outcomes = [
        deliver(first, now=now),
        deliver(second, now=now + timedelta(minutes=1)),
        deliver(other, now=now + timedelta(minutes=2)),
    ]

    assert outcomes == [DeliverOutcome.SENT, DeliverOutcome.WAITING, DeliverOutcome.SENT]


def test_a_wait_longer_than_the_broker_allows_is_split_into_rechecks(
    mail_config, sandbox, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.MAIL_MAX_COUNTDOWN_SECONDS = 900
    [message] = _queue()
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    from revo.mail import tasks

    sent: list[dict] = []
    monkeypatch.setattr(tasks.send_email, "apply_async", lambda *a, **kwargs: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        deliver(message, now=friday_evening)

    assert [call["countdown"] for call in sent] == [900]
    assert reload(message).not_before == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"business_days": []}, id="no-days"),
        pytest.param({"business_days": [7]}, id="bad-day"),
        pytest.param({"business_start": time(18), "business_end": time(8)}, id="end-before-start"),
        pytest.param({"per_minute": 3}, id="unknown-field"),
    ],
)
def test_invalid_mail_settings_are_refused(mail_config, changes):
    with pytest.raises(ValidationError):
        mail_settings_update(**changes)
