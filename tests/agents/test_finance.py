from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from revo.agents import base
from revo.billing.dates import tenant_today
from revo.billing.models import DunningNotice, Invoice
from revo.billing.services import payment_record
from revo.reviews.models import ReviewItem
from tests.agents.helpers import items, rule, run_agent
from tests.billing.factories import invoice_issued, signed_contract

SMALL = (("Onboarding workshop", "1", "950.00", "0"),)


def _days_after_due(invoice: Invoice, days: int) -> str:
    return (invoice.due_date + timedelta(days=days)).isoformat()


def test_a_signed_contract_is_invoiced_by_code_and_submitted_once(agent_world, template_model):
    contract = signed_contract()

    run = run_agent("finance")
    again = run_agent("finance")
    direct = base.get_agent("finance").process(
        f"contract:{contract.pk}", base.AgentContext(run=run)
    )

    invoice = Invoice.objects.get(contract=contract)
    assert (run.processed, run.artifacts_created) == (1, 1)
    assert (invoice.status, invoice.review_status) == ("pending_review", "pending_review")
    assert invoice.total == contract.total
    assert invoice.number is None  # numbered by code when issued after approval
    assert ReviewItem.objects.filter(entity_type="invoice", object_id=invoice.pk).exists()
    assert again.seen == 0
    assert direct.outcome == "skipped"


def test_an_overdue_invoice_gets_a_dunning_notice_for_review(agent_world, fake_model):
    invoice = invoice_issued()

    run = run_agent("finance", today=_days_after_due(invoice, 8))
    again = run_agent("finance", today=_days_after_due(invoice, 8))

    notice = DunningNotice.objects.get(invoice=invoice)
    assert (run.processed, run.artifacts_created, run.auto_approved) == (1, 1, 0)
    assert notice.level.level == 2
    assert notice.review_status == "pending_review"
    assert (notice.agent, notice.llm_backend) == ("finance", "ollama")
    assert ReviewItem.objects.filter(entity_type="dunning", object_id=notice.pk).exists()
    assert again.seen == 0
    assert fake_model.kinds == ["dunning"]


def test_a_small_reminder_auto_approves_where_the_level_and_the_rule_allow(agent_world, fake_model):
    invoice = invoice_issued(lines=SMALL)
    rule("dunning.level_1")

    run = run_agent("finance", today=_days_after_due(invoice, -2))

    notice = DunningNotice.objects.get(invoice=invoice)
    assert notice.level.level == 1
    assert notice.auto_approved
    assert run.auto_approved == 1


def test_a_cleared_balance_stops_dunning(agent_world, fake_model):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=invoice.balance, received_on=tenant_today())

    run = run_agent("finance", today=_days_after_due(invoice, 8))

    assert run.seen == 0
    assert not DunningNotice.objects.filter(invoice=invoice).exists()
    assert fake_model.kinds == []


def test_invalid_dunning_text_fails_that_invoice_only(agent_world, fake_model):
    bad = invoice_issued(company="Broken Corp")
    good = invoice_issued(company="Fine Corp")
    fake_model.fail_when("dunning", "Broken Corp")

    run = run_agent("finance", today=_days_after_due(bad, 8))

    assert (run.processed, run.failed) == (1, 1)
    assert items(run, "failed")[0].item_id == f"invoice:{bad.pk}"
    assert not DunningNotice.objects.filter(invoice=bad).exists()
    assert DunningNotice.objects.filter(invoice=good).exists()


def test_a_dunning_text_with_a_foreign_amount_never_goes_out(agent_world, fake_model):
    fake_model.answers["dunning"] = lambda request: {
        "subject": "Reminder",
        "body": "Please pay 99999.00 EUR today, including our late fee of 500.00 EUR.",
        "tone": "firm",
    }
    invoice = invoice_issued(lines=SMALL)

    run = run_agent("finance", today=_days_after_due(invoice, -2))

    assert run.failed == 1
    assert not DunningNotice.objects.filter(invoice=invoice).exists()
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("950.00")


def test_the_dunning_phase_leaves_signed_contracts_for_the_invoicing_phase(agent_world, fake_model):
    contract = signed_contract()
    overdue = invoice_issued()

    dunning = run_agent("finance", phase="dunning", today=_days_after_due(overdue, 8))
    invoicing = run_agent("finance", phase="invoices")

    assert [item.item_id for item in items(dunning)] == [f"invoice:{overdue.pk}"]
    assert [item.item_id for item in items(invoicing)] == [f"contract:{contract.pk}"]
