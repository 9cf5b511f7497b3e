from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.audit.selectors import history_for
from revo.audit.services import transition_apply
from revo.billing.dates import tenant_today
from revo.billing.dunning_checks import dunning_level_auto_approval_refusal
from revo.billing.models import (
    BillingSettings,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    DunningTone,
    Invoice,
)
from revo.billing.selectors import dunning_due, invoices_overdue
from revo.billing.services import billing_tenant_setup, invoice_write_off, payment_record
from revo.core.exceptions import Conflict, IllegalTransition, InvalidInput
from revo.reviews.models import ReviewDecision, ReviewItem, ReviewStatus
from revo.reviews.services import review_decide, review_mark_applied
from tests.billing.factories import dunning_level, dunning_notice, finance_user, invoice_issued

SMALL = (("Support hours", "4", "100.00", "0"),)  # 400.00, under the auto-approval limit


def _due(invoice: Invoice, today) -> list[tuple[int, int]]:  # noqa: ANN001
    return [(c.invoice.pk, c.level.level) for c in dunning_due(today) if c.invoice.pk == invoice.pk]


def _created_on(notice: DunningNotice, day) -> None:  # noqa: ANN001
    at = timezone.make_aware(datetime.combine(day, time(12)))
    DunningNotice.objects.filter(pk=notice.pk).update(created_at=at)


def test_provisioning_seeds_the_default_ladder_and_settings(tenant):
    policy = DunningPolicy.objects.get()
    levels = list(policy.levels.order_by("level"))

    assert [(lv.days_offset, lv.tone) for lv in levels] == [
        (-3, DunningTone.FRIENDLY),
        (7, DunningTone.FRIENDLY),
        (14, DunningTone.FIRM),
        (30, DunningTone.FINAL),
    ]
    assert levels[2].fee > 0
    assert levels[0].auto_approvable
    assert BillingSettings.objects.count() == 1


def test_billing_setup_runs_again_without_changes(tenant):
    billing_tenant_setup()

    assert DunningPolicy.objects.count() == 1
    assert DunningLevel.objects.count() == 4
    assert BillingSettings.objects.count() == 1


@pytest.mark.parametrize(
    ("days_from_due", "expected_level"),
    [
        (-4, None),
        (-3, 1),
        (-1, 1),
        (0, None),  # the pre-due reminder is pointless now; level 2 is a week away
        (6, None),
        (7, 2),
        (40, 2),  # the ladder is climbed one level at a time
    ],
    ids=["before-pre-due", "pre-due", "day-before", "due-day", "early", "week-late", "long-late"],
)
def test_dunning_due_picks_the_next_level_whose_day_has_come(tenant, days_from_due, expected_level):
    invoice = invoice_issued(net_days=30)

    due = _due(invoice, invoice.due_date + timedelta(days=days_from_due))

    assert due == ([(invoice.pk, expected_level)] if expected_level else [])


def test_dunning_due_continues_after_the_last_notice(tenant, finance):
    invoice = invoice_issued(net_days=30)
    notice = dunning_notice(invoice, level=2)
    review_decide(entity_type="dunning", entity_id=notice.pk, decision="approve", by=finance)
    _created_on(notice, invoice.due_date + timedelta(days=7))

    assert _due(invoice, invoice.due_date + timedelta(days=13)) == []
    assert _due(invoice, invoice.due_date + timedelta(days=14)) == [(invoice.pk, 3)]


def test_dunning_due_honours_the_minimum_days_since_the_previous_notice(tenant, finance):
    invoice = invoice_issued(net_days=30)
    notice = dunning_notice(invoice, level=2)
    review_decide(entity_type="dunning", entity_id=notice.pk, decision="approve", by=finance)
    _created_on(notice, invoice.due_date + timedelta(days=10))  # level 3 needs 7 days after

    assert _due(invoice, invoice.due_date + timedelta(days=16)) == []
    assert _due(invoice, invoice.due_date + timedelta(days=17)) == [(invoice.pk, 3)]


def test_a_pending_notice_holds_back_the_next_level(tenant):
    invoice = invoice_issued(net_days=30)
    dunning_notice(invoice, level=2)

    assert _due(invoice, invoice.due_date + timedelta(days=60)) == []


def test_a_rejected_notice_uses_up_its_level_but_not_the_waiting_time(tenant, finance):
    invoice = invoice_issued(net_days=30)
    notice = dunning_notice(invoice, level=2)
    review_decide(
        entity_type="dunning", entity_id=notice.pk, decision="reject", by=finance, reason="tone"
    )
    _created_on(notice, invoice.due_date + timedelta(days=13))

    assert _due(invoice, invoice.due_date + timedelta(days=14)) == [(invoice.pk, 3)]


def test_paid_written_off_and_finished_invoices_are_not_dunned(tenant):
    paid = invoice_issued(net_days=30)
    payment_record(invoice=paid, amount=paid.balance, received_on=tenant_today())
    written_off = invoice_issued(net_days=30)
    invoice_write_off(invoice=written_off, reason="insolvent")
    partly_paid = invoice_issued(net_days=30)
    payment_record(invoice=partly_paid, amount=Decimal("1.00"), received_on=tenant_today())
    day = partly_paid.due_date + timedelta(days=7)

    due = [(c.invoice.pk, c.level.level) for c in dunning_due(day)]

    assert due == [(partly_paid.pk, 2)]


def test_an_inactive_policy_dunns_nobody(tenant):
    invoice = invoice_issued(net_days=30)
    DunningPolicy.objects.update(is_active=False)

    assert dunning_due(invoice.due_date + timedelta(days=30)) == []


def test_dunning_due_queries_do_not_grow_with_invoices(tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invoices = [invoice_issued(net_days=30) for _ in range(2)]
    day = invoices[0].due_date + timedelta(days=20)
    with CaptureQueriesContext(connection) as few:
        dunning_due(day)
    invoices += [invoice_issued(net_days=30) for _ in range(6)]
    for invoice in invoices[:3]:
        dunning_notice(invoice, level=2)

    with CaptureQueriesContext(connection) as many:
        due = dunning_due(day)

    assert len(many) == len(few)
    assert sorted(c.invoice.pk for c in due) == sorted(inv.pk for inv in invoices[3:])


def test_invoices_overdue_selects_open_balances_past_due(tenant):
    late = invoice_issued(net_days=10)
    paid = invoice_issued(net_days=10)
    payment_record(invoice=paid, amount=paid.balance, received_on=tenant_today())

    assert list(invoices_overdue(late.due_date)) == []
    assert list(invoices_overdue(late.due_date + timedelta(days=1))) == [late]


def test_notice_creation_queues_it_for_review(tenant, finance):
    invoice = invoice_issued()

    notice = dunning_notice(invoice, level=2, by=finance)

    assert notice.review_status == ReviewStatus.PENDING_REVIEW
    assert notice.fee == dunning_level(2).fee
    assert notice.currency == "EUR"
    assert notice.ai_original == {"subject": notice.subject, "body": notice.body}
    item = ReviewItem.objects.get(entity_type="dunning", object_id=notice.pk)
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.amount == invoice.balance + notice.fee
    row = history_for(notice).get(field="review_status")
    assert (row.transition, row.to_state, row.by_user) == ("create", "pending_review", finance)


def test_the_notice_service_never_approves_on_its_own(tenant):
    # given a small balance that level 1's own flag would allow to skip review
    small = invoice_issued(lines=SMALL)

    # when a notice is drafted outside the finance agent's gate
    notice = dunning_notice(small, level=1)

    # then it waits for a person: the tenant's rule was never consulted
    assert (notice.review_status, notice.auto_approved) == (ReviewStatus.PENDING_REVIEW, False)
    assert not ReviewDecision.objects.filter(item__object_id=notice.pk).exists()


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        pytest.param("Invoice {number} is open.", None, id="own-number"),
        pytest.param("Invoice INV-2019-0777 is open.", "names invoice INV-2019-0777", id="number"),
        pytest.param("Please see invoice no. 4711.", "names invoice 4711", id="reference"),
        pytest.param("Please pay 400.00 EUR.", None, id="balance"),
        pytest.param("Please pay EUR 410.00 incl. fee.", None, id="balance-and-fee"),
        pytest.param("Please pay 10.00 EUR in fees.", None, id="fee"),
        pytest.param("Please pay 4,000.00 EUR.", "states the amount 4000.00", id="amount"),
    ],
)
def test_a_notice_contradicting_its_invoice_is_flagged(tenant, finance, text, flag):
    # given an invoice of 400.00 EUR whose level 2 notice was decided; level 3 has a fee
    invoice = invoice_issued(lines=SMALL)
    second = dunning_notice(invoice, level=2)
    review_decide(
        entity_type="dunning", entity_id=second.pk, decision="reject", by=finance, reason="x"
    )
    assert dunning_level(3).fee == Decimal("10.00")

    # when a notice states numbers or amounts
    notice = dunning_notice(invoice, level=3, body=text.format(number=invoice.number))

    # then what disagrees with the invoice is flagged for the reviewer
    if flag is None:
        assert notice.flagged_reasons == []
    else:
        assert [reason for reason in notice.flagged_reasons if flag in reason]
    assert ReviewItem.objects.get(entity_type="dunning", object_id=notice.pk).flagged == bool(flag)


def test_flags_given_by_the_caller_are_kept(tenant):
    invoice = invoice_issued()

    notice = dunning_notice(invoice, level=2, flagged_reasons=["validator: tone"])

    assert notice.flagged_reasons == ["validator: tone"]


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        pytest.param({}, "", id="allowed"),
        pytest.param({"auto_approvable": False}, "does not allow", id="flag-off"),
        pytest.param({"auto_approve_max_amount": Decimal("399.99")}, "exceeds", id="over-limit"),
        pytest.param({"auto_approve_max_amount": Decimal("400.00")}, "", id="at-limit"),
        pytest.param({"auto_approve_max_amount": None}, "", id="no-limit"),
        pytest.param({"tone": DunningTone.FINAL}, "final notice", id="final-tone"),
    ],
)
def test_the_level_policy_for_auto_approval(tenant, fields, refusal):
    level = DunningLevel(
        level=1, tone=DunningTone.FRIENDLY, auto_approvable=True, auto_approve_max_amount=None
    )
    for name, value in fields.items():
        setattr(level, name, value)

    answer = dunning_level_auto_approval_refusal(level=level, balance=Decimal("400.00"))

    assert (refusal in answer) if refusal else answer == ""


def test_database_refuses_an_auto_approvable_final_level(tenant):
    final = DunningLevel.objects.get(tone=DunningTone.FINAL)

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningLevel.objects.filter(pk=final.pk).update(auto_approvable=True)


def test_a_level_is_never_issued_twice_for_an_invoice(tenant, finance):
    invoice = invoice_issued()
    first = dunning_notice(invoice, level=2)
    review_decide(entity_type="dunning", entity_id=first.pk, decision="approve", by=finance)

    with pytest.raises(Conflict, match="already has a level 2 notice"):
        dunning_notice(invoice, level=2)
    assert DunningNotice.objects.filter(invoice=invoice).count() == 1


def test_database_refuses_a_second_notice_of_the_same_level(tenant):
    invoice = invoice_issued()
    first = dunning_notice(invoice, level=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningNotice.objects.create(
            invoice=invoice, level=first.level, subject="again", body="again", currency="EUR"
        )


def test_a_second_notice_waits_for_the_first_decision(tenant):
    invoice = invoice_issued()
    dunning_notice(invoice, level=2)

    with pytest.raises(Conflict, match="waiting for review"):
        dunning_notice(invoice, level=3)


@pytest.mark.parametrize(
    ("subject", "body"), [("", "body"), ("subject", "  ")], ids=["no-subject", "no-body"]
)
def test_a_notice_needs_subject_and_body(tenant, subject, body):
    invoice = invoice_issued()

    with pytest.raises(InvalidInput):
        dunning_notice(invoice, level=2, subject=subject, body=body)
    assert not DunningNotice.objects.exists()


def test_a_paid_invoice_gets_no_notice(tenant):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=invoice.balance, received_on=tenant_today())

    with pytest.raises(Conflict, match="only open invoices"):
        dunning_notice(invoice, level=2)


def test_reviewer_may_edit_subject_and_body_only(tenant, finance):
    notice = dunning_notice(invoice_issued(), level=2)

    with pytest.raises(InvalidInput, match="not editable"):
        review_decide(
            entity_type="dunning",
            entity_id=notice.pk,
            decision="edit_approve",
            by=finance,
            edits={"fee": "0.00"},
        )
    review_decide(
        entity_type="dunning",
        entity_id=notice.pk,
        decision="edit_approve",
        by=finance,
        edits={"subject": "Friendly nudge"},
    )
    notice.refresh_from_db()
    assert notice.subject == "Friendly nudge"
    assert notice.ai_original["subject"] != "Friendly nudge"


# -- the notice's review state machine, cancellation included ------------------------------

R = ReviewStatus
NOTICE_TARGET = {
    "approve": R.APPROVED,
    "reject": R.REJECTED,
    "request_regeneration": R.REGENERATE_REQUESTED,
    "mark_applied": R.APPLIED,
    "cancel": R.REJECTED,
}
NOTICE_ALLOWED = {
    R.PENDING_REVIEW: {"approve", "reject", "request_regeneration", "cancel"},
    R.APPROVED: {"mark_applied", "cancel"},
    R.REJECTED: set(),
    R.REGENERATE_REQUESTED: {"cancel"},
    R.APPLIED: set(),
}


def _notice_in(state: str) -> DunningNotice:
    notice = dunning_notice(invoice_issued(), level=2)
    reviewer = finance_user()
    decision = {
        R.APPROVED: ("approve", ""),
        R.REJECTED: ("reject", "tone"),
        R.REGENERATE_REQUESTED: ("regenerate", "shorter"),
        R.APPLIED: ("approve", ""),
    }.get(state)
    if decision:
        review_decide(
            entity_type="dunning",
            entity_id=notice.pk,
            decision=decision[0],
            by=reviewer,
            reason=decision[1],
        )
    if state == R.APPLIED:
        review_mark_applied(artifact=notice, reason="sent")
    return DunningNotice.objects.get(pk=notice.pk)


@pytest.mark.parametrize(
    ("state", "name", "allowed"),
    [
        pytest.param(state, name, name in NOTICE_ALLOWED[state], id=f"{state}-{name}")
        for state in NOTICE_ALLOWED
        for name in NOTICE_TARGET
    ],
)
def test_notice_transition_matrix(tenant, state, name, allowed):
    notice = _notice_in(state)
    rows_before = history_for(notice).count()

    if allowed:
        transition_apply(instance=notice, transition=name, field="review_status", reason="m")
        notice.refresh_from_db()
        assert notice.review_status == NOTICE_TARGET[name]
        assert history_for(notice).last().transition == name
    else:
        with pytest.raises(IllegalTransition):
            transition_apply(instance=notice, transition=name, field="review_status")
        notice.refresh_from_db()
        assert notice.review_status == state
        assert history_for(notice).count() == rows_before


def test_database_refuses_a_cancelled_notice_that_is_still_live(tenant):
    notice = dunning_notice(invoice_issued(), level=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningNotice.objects.filter(pk=notice.pk).update(cancelled_at=timezone.now())
