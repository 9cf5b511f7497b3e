"""At send time the artifact has the last word: an email whose lead, notice or contract
changed since the approval is held back (``cancelled``, with the veto's reason), never sent.
``suppressed`` stays for recipients on the suppression list."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from revo.accounts.roles import Role
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import contract_review_decide, contract_submit, contract_void
from revo.leads.models import Lead, OutreachMessage
from revo.leads.services import lead_soft_delete, lead_transition
from revo.mail.models import EmailKind, EmailStatus
from revo.mail.registry import register_artifact_sender, unregister_artifact_sender
from revo.mail.services import email_enqueue, mail_settings_update, suppression_add
from revo.reviews.models import ReviewStatus
from revo.reviews.services import review_decide
from tests.contracts.factories import ContractFactory
from tests.factories import UserFactory
from tests.leads.factories import OutreachMessageFactory
from tests.mail.conftest import deliver, reload
from tests.mail.test_artifact_emails import _messages_for


@pytest.fixture
def open_hours(mail_config):  # noqa: ANN201
    return mail_settings_update(business_hours_only=False)


def _approved_outreach() -> OutreachMessage:
    draft = OutreachMessageFactory()
    review_decide(
        entity_type="outreach",
        entity_id=draft.pk,
        decision="approve",
        by=UserFactory(role=Role.SDR),
    )
    return draft


def _unsubscribed_by_reply(lead: Lead) -> None:
    lead_transition(lead=lead, transition="unsubscribe", reason="reply: please remove me")


def _bounced_by_reply(lead: Lead) -> None:
    lead_transition(lead=lead, transition="bounce", reason="reply: mailbox unknown")


def _deleted(lead: Lead) -> None:
    lead_soft_delete(lead=lead, reason="asked to be forgotten")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(_unsubscribed_by_reply, "the lead is unsubscribed", id="unsubscribed"),
        pytest.param(_bounced_by_reply, "the lead is bounced", id="bounced"),
        pytest.param(_deleted, "the lead was deleted", id="deleted"),
    ],
)
def test_an_outreach_email_is_held_back_when_the_lead_changed_after_approval(
    tenant, smtp_server, open_hours, change: Callable[[Lead], None], reason: str
):
    # given an approved outreach email waiting in the outbox
    draft = _approved_outreach()
    [message] = _messages_for(draft)

    # when the lead changes before the worker gets to it
    change(draft.lead)
    outcome = deliver(message)

    # then nothing is sent, the email is cancelled with the reason; the draft stays approved
    # and says why
    assert outcome == "cancelled"
    assert smtp_server.messages == []
    held = reload(message)
    assert held.status == EmailStatus.CANCELLED
    assert held.cancel_reason == f"held back by its artifact: {reason}"
    assert held.history.order_by("pk").last().reason == held.cancel_reason
    draft = OutreachMessage.objects.get(pk=draft.pk)
    assert draft.review_status == ReviewStatus.APPROVED
    assert any(reason in note for note in draft.flagged_reasons)


def test_a_contract_voided_after_approval_is_not_emailed(tenant, smtp_server, open_hours):
    contract = contract_submit(contract=ContractFactory())
    contract_review_decide(contract=contract, decision="approve", by=UserFactory(role=Role.ADMIN))
    [message] = _messages_for(contract)

    contract_void(contract=Contract.objects.get(pk=contract.pk), reason="customer went away")

    assert deliver(message) == "cancelled"
    assert smtp_server.messages == []
    assert reload(message).cancel_reason == "held back by its artifact: the contract is void"
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.VOID


@pytest.fixture
def vetoing() -> Iterator[list[str]]:
    """``accounts.user`` as a stand-in artifact whose veto answers from a list."""
    answers: list[str] = []

    def veto(artifact: object, message: object) -> str:
        if answers and answers[0] == "raise":
            raise RuntimeError("lookup failed")
        return answers[0] if answers else ""

    register_artifact_sender("accounts.user", veto=veto)
    yield answers
    unregister_artifact_sender("accounts.user")


@pytest.mark.parametrize(
    ("suppressed", "answer", "status", "reason"),
    [
        pytest.param(False, "", EmailStatus.SENT, "", id="neither-sent"),
        pytest.param(
            True, "", EmailStatus.SUPPRESSED, "recipient suppressed (manual)", id="suppression-list"
        ),
        pytest.param(
            True,
            "not any more",
            EmailStatus.SUPPRESSED,
            "recipient suppressed (manual)",
            id="suppression-list-and-veto",
        ),
        pytest.param(
            False,
            "not any more",
            EmailStatus.CANCELLED,
            "held back by its artifact: not any more",
            id="veto-cancelled",
        ),
        pytest.param(
            False,
            "raise",
            EmailStatus.CANCELLED,
            "held back by its artifact: the artifact could not be checked",
            id="veto-fails-cancelled",
        ),
    ],
)
def test_at_send_time_the_suppression_list_suppresses_and_a_veto_cancels(
    mail_config, sandbox, vetoing, suppressed, answer, status, reason
):
    # given a queued email whose artifact answers the veto, maybe to a suppressed address
    vetoing.append(answer)
    message = email_enqueue(
        to_email="someone@example.com",
        subject="Hello",
        body_text="Hi",
        kind=EmailKind.NOTIFICATION,
        artifact=UserFactory(),
    )
    if suppressed:
        suppression_add(email="someone@example.com", reason="manual", source="test")

    # when the worker gets to it
    outcome = deliver(message)

    # then it is sent, suppressed (the list wins) or cancelled with the veto's reason
    held = reload(message)
    assert (outcome, held.status) == (str(status), status)
    assert held.history.order_by("pk").last().reason.startswith(reason or "written to")
    if status == EmailStatus.CANCELLED:
        assert held.cancel_reason.startswith(reason)
    else:
        assert held.cancel_reason == ""
    assert (held.sent_at is not None) == (status == EmailStatus.SENT)


def test_without_a_postal_address_the_approval_stands_and_nothing_is_sent(
    tenant, open_hours, monkeypatch
):
    # given a tenant that has not set the postal address every outreach footer needs
    from django.db import connection

    monkeypatch.setattr(connection.tenant, "postal_address", "")
    draft = OutreachMessageFactory()

    # when the draft is approved
    review_decide(
        entity_type="outreach",
        entity_id=draft.pk,
        decision="approve",
        by=UserFactory(role=Role.SDR),
    )

    # then the approval stands, no email is queued and the draft says why
    draft = OutreachMessage.objects.get(pk=draft.pk)
    assert draft.review_status == ReviewStatus.APPROVED
    assert _messages_for(draft) == []
    assert any("postal address" in note for note in draft.flagged_reasons)
