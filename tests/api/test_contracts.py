"""Contracts through the API: read with lines and totals, revise, negotiation rounds."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.contracts.models import Contract, ContractStatus, NegotiationRound
from tests.contracts.factories import ContractFactory
from tests.contracts.helpers import contract_in

CONTRACTS_URL = "/api/v1/contracts"


@pytest.fixture
def sales(user_by_role):  # noqa: ANN201
    return user_by_role(Role.SALES)


def test_detail_has_lines_and_totals(api_client, sales, auth_header):
    contract = ContractFactory()

    response = api_client.get(f"{CONTRACTS_URL}/{contract.pk}", **auth_header(sales))

    body = response.json()
    assert response.status_code == 200
    assert [line["description"] for line in body["lines"]] == ["Platform licence", "Onboarding"]
    assert body["subtotal"] == "1500.00"
    assert body["total"] == str(contract.total)
    assert body["status"] == "draft"


def test_list_filters_by_status_within_a_query_budget(
    api_client, sales, auth_header, django_assert_max_num_queries
):
    drafts = [ContractFactory() for _ in range(4)]
    headers = auth_header(sales)

    with django_assert_max_num_queries(8):
        response = api_client.get(CONTRACTS_URL, {"status": "draft"}, **headers)

    assert {c["id"] for c in response.json()["results"]} == {c.pk for c in drafts}
    assert api_client.get(CONTRACTS_URL, {"status": "signed"}, **headers).json()["count"] == 0


def test_revise_creates_the_next_revision(api_client, sales, auth_header):
    contract = ContractFactory()

    response = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/revise", {"reason": "new terms"}, **auth_header(sales)
    )

    body = response.json()
    assert response.status_code == 201, body
    assert (body["revision"], body["supersedes"], body["status"]) == (2, contract.pk, "draft")
    assert len(body["lines"]) == 2
    assert body["audit_id"] is not None
    contract.refresh_from_db()
    assert contract.status == ContractStatus.VOID


def test_revising_twice_conflicts(api_client, sales, auth_header):
    contract = ContractFactory()
    headers = auth_header(sales)
    api_client.post(f"{CONTRACTS_URL}/{contract.pk}/revise", {}, **headers)

    response = api_client.post(f"{CONTRACTS_URL}/{contract.pk}/revise", {}, **headers)

    assert response.status_code == 409
    assert Contract.objects.filter(deal=contract.deal).count() == 2


def test_revise_refuses_totals_in_the_body(api_client, sales, auth_header):
    contract = ContractFactory()

    response = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/revise", {"total": "1.00"}, **auth_header(sales)
    )

    assert response.status_code == 400
    assert Contract.objects.filter(deal=contract.deal).count() == 1


def test_a_customer_counter_offer_is_recorded_as_the_next_round(api_client, sales, auth_header):
    contract = ContractFactory()
    headers = auth_header(sales)

    first = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/rounds",
        {"offered_price": "1200.00", "discount_pct": "20", "notes": "too pricey"},
        **headers,
    )
    second = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/rounds",
        {"party": "customer", "offered_price": "1300.00"},
        **headers,
    )
    listed = api_client.get(f"{CONTRACTS_URL}/{contract.pk}/rounds", **headers)

    assert first.status_code == 201, first.json()
    assert (first.json()["number"], first.json()["party"]) == (1, "customer")
    assert first.json()["currency"] == contract.currency
    assert StateTransition.objects.filter(pk=first.json()["audit_id"]).exists()
    assert second.json()["number"] == 2
    assert [r["number"] for r in listed.json()["results"]] == [1, 2]


@pytest.mark.parametrize("field", ["number", "currency", "author_user"], ids=lambda f: f)
def test_a_round_body_cannot_set_system_fields(api_client, sales, auth_header, field):
    contract = ContractFactory()

    response = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/rounds",
        {"offered_price": "1000.00", field: 7},
        **auth_header(sales),
    )

    assert response.status_code == 400
    assert not NegotiationRound.objects.filter(contract=contract).exists()


def test_a_round_on_a_signed_contract_conflicts(api_client, sales, auth_header):
    contract = contract_in(ContractStatus.SIGNED, reviewer=sales)

    response = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/rounds", {"offered_price": "1.00"}, **auth_header(sales)
    )

    assert response.status_code == 409
    assert not NegotiationRound.objects.filter(contract=contract).exists()


def test_sdr_reads_contracts_but_cannot_record_rounds(api_client, user_by_role, auth_header):
    contract = ContractFactory()
    headers = auth_header(user_by_role(Role.SDR))

    assert api_client.get(f"{CONTRACTS_URL}/{contract.pk}", **headers).status_code == 200
    response = api_client.post(
        f"{CONTRACTS_URL}/{contract.pk}/rounds", {"offered_price": "1.00"}, **headers
    )
    assert response.status_code == 403
