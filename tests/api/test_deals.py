"""Deals through the API: open from a qualified lead, edit, move through the stages."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.deals.models import Deal, DealStage
from revo.leads.models import LeadStatus
from tests.deals.factories import DealFactory, qualified_lead
from tests.leads.factories import LeadFactory

DEALS_URL = "/api/v1/deals"


@pytest.fixture
def sales(user_by_role):  # noqa: ANN201
    return user_by_role(Role.SALES)


def _advance(client, deal, to, headers):  # noqa: ANN001, ANN202
    return client.post(f"{DEALS_URL}/{deal.pk}/advance", {"to": to}, **headers)


def test_open_a_deal_from_a_qualified_lead_converts_it(api_client, sales, auth_header):
    lead = qualified_lead()

    response = api_client.post(
        DEALS_URL,
        {"lead": lead.pk, "name": "Initech", "amount": "12000.00", "budget": "met"},
        **auth_header(sales),
    )

    body = response.json()
    assert response.status_code == 201, body
    assert (body["stage"], body["amount"], body["budget"]) == ("qualification", "12000.00", "met")
    assert body["allowed_stages"] == ["lost", "proposal"]
    assert StateTransition.objects.get(pk=body["audit_id"]).transition == "create"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_a_deal_from_a_new_lead_is_refused_with_409(api_client, sales, auth_header):
    lead = LeadFactory()

    response = api_client.post(DEALS_URL, {"lead": lead.pk}, **auth_header(sales))

    assert response.status_code == 409
    assert not Deal.objects.filter(lead=lead).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "won"), ("probability", 90), ("won_at", "2026-01-01T00:00:00Z"), ("id", 5)],
    ids=["stage", "probability-on-create", "won_at", "id"],
)
def test_create_refuses_system_fields(api_client, sales, auth_header, field, value):
    lead = qualified_lead()

    response = api_client.post(DEALS_URL, {"lead": lead.pk, field: value}, **auth_header(sales))

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Deal.objects.filter(lead=lead).exists()


def test_patch_edits_fields_but_not_the_stage(api_client, sales, auth_header):
    deal = DealFactory()
    headers = auth_header(sales)

    edited = api_client.patch(
        f"{DEALS_URL}/{deal.pk}", {"amount": "15000.00", "next_step": "call"}, **headers
    )
    refused = api_client.patch(f"{DEALS_URL}/{deal.pk}", {"stage": "won"}, **headers)

    assert edited.status_code == 200, edited.json()
    assert edited.json()["amount"] == "15000.00"
    assert refused.status_code == 400
    deal.refresh_from_db()
    assert deal.stage == DealStage.QUALIFICATION


def test_advance_through_the_stages_and_win(api_client, sales, auth_header):
    deal = DealFactory()
    headers = auth_header(sales)

    assert _advance(api_client, deal, "proposal", headers).json()["stage"] == "proposal"
    assert _advance(api_client, deal, "negotiation", headers).json()["stage"] == "negotiation"
    won = api_client.post(f"{DEALS_URL}/{deal.pk}/won", {}, **headers)

    assert won.status_code == 200
    assert won.json()["stage"] == "won"
    assert StateTransition.objects.get(pk=won.json()["audit_id"]).transition == "win"


def test_winning_from_qualification_is_409_with_allowed_transitions(api_client, sales, auth_header):
    deal = DealFactory()

    response = api_client.post(f"{DEALS_URL}/{deal.pk}/won", {}, **auth_header(sales))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["allowed_transitions"] == ["lose", "propose"]


def test_lost_needs_a_reason_and_keeps_it(api_client, sales, auth_header):
    deal = DealFactory()
    headers = auth_header(sales)

    missing = api_client.post(f"{DEALS_URL}/{deal.pk}/lost", {}, **headers)
    lost = api_client.post(f"{DEALS_URL}/{deal.pk}/lost", {"reason": "budget cut"}, **headers)

    assert missing.status_code == 400
    assert lost.status_code == 200
    assert (lost.json()["stage"], lost.json()["lost_reason"]) == ("lost", "budget cut")


def test_finance_reads_deals_but_cannot_move_them(api_client, user_by_role, auth_header):
    deal = DealFactory()
    headers = auth_header(user_by_role(Role.FINANCE))

    assert api_client.get(f"{DEALS_URL}/{deal.pk}", **headers).status_code == 200
    assert _advance(api_client, deal, "proposal", headers).status_code == 403
    deal.refresh_from_db()
    assert deal.stage == DealStage.QUALIFICATION


def test_list_filters_by_stage_within_a_query_budget(
    api_client, sales, auth_header, django_assert_max_num_queries
):
    deals = [DealFactory() for _ in range(6)]
    headers = auth_header(sales)
    for deal in deals[:2]:
        _advance(api_client, deal, "proposal", headers)

    with django_assert_max_num_queries(8):
        response = api_client.get(DEALS_URL, {"stage": "proposal"}, **headers)

    assert {d["id"] for d in response.json()["results"]} == {d.pk for d in deals[:2]}
    with django_assert_max_num_queries(8):
        everything = api_client.get(DEALS_URL, {"open": "true", "ordering": "amount"}, **headers)
    assert everything.json()["count"] == 6
