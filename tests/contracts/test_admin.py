"""The contracts admin: changelists without N+1, drafts edited through the services,
everything past draft read-only, actions and pricing policy limited by role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.contracts.models import Contract, ContractStatus, PriceListItem, PricingPolicy
from revo.contracts.services import LineInput, contract_sign, negotiation_round_record
from tests.contracts.factories import ContractFactory
from tests.contracts.helpers import contract_in
from tests.deals.admin_helpers import form_data, logged_in

CHANGELIST = "/admin/contracts/contract/"
S = ContractStatus


@pytest.mark.parametrize(
    "role_fixture", ["admin_user", "sales", "finance", "viewer"], ids=lambda r: r
)
@pytest.mark.parametrize(
    "url",
    [CHANGELIST, "/admin/contracts/pricingpolicy/", "/admin/contracts/pricelistitem/"],
    ids=["contracts", "policy", "price-list"],
)
def test_contracts_admin_pages_render_for_every_role(tenant_client, request, role_fixture, url):
    ContractFactory()
    client = logged_in(tenant_client, request.getfixturevalue(role_fixture))

    assert client.get(url).status_code == 200


def test_contract_changelist_query_count_does_not_grow_with_rows(
    tenant_client, sales, django_assert_max_num_queries
):
    ContractFactory.create_batch(2)
    client = logged_in(tenant_client, sales)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200

    ContractFactory.create_batch(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.content.count(b'class="action-select"') == 10


def test_draft_change_page_edits_lines_through_the_service(tenant_client, sales):
    # given a draft with two lines, opened in the admin
    contract = ContractFactory()
    client = logged_in(tenant_client, sales)
    url = f"{CHANGELIST}{contract.pk}/change/"
    data = form_data(client.get(url))

    # when the first line's quantity is changed and a bogus total is posted with it
    data["lines-0-quantity"] = "20"
    data["lines-0-line_total"] = "1.00"
    data["total"] = "1.00"
    response = client.post(url, data)

    # then the totals are the ones the service computed
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.lines.get(position=1).line_total == Decimal("2000.00")
    assert contract.total == Decimal("2450.00")


def test_a_discount_beyond_the_floor_is_a_form_error(tenant_client, sales):
    contract = ContractFactory()
    client = logged_in(tenant_client, sales)
    url = f"{CHANGELIST}{contract.pk}/change/"
    data = form_data(client.get(url))
    data["lines-0-discount_pct"] = "50"

    response = client.post(url, data)

    assert response.status_code == 200
    assert b"floor" in response.content
    assert Contract.objects.get(pk=contract.pk).total == Decimal("1450.00")


@pytest.mark.parametrize("state", [S.SIGNED, S.SENT], ids=str)
def test_contract_past_draft_is_read_only(tenant_client, sales, state):
    contract = contract_in(S.SENT, reviewer=sales)
    negotiation_round_record(contract=contract, party="customer", offered_price="10", by=sales)
    if state == S.SIGNED:
        contract = contract_sign(contract=contract)
    client = logged_in(tenant_client, sales)
    url = f"{CHANGELIST}{contract.pk}/change/"

    page = client.get(url)
    post = client.post(url, {"terms": "rewritten"})

    assert page.status_code == 200
    assert b'name="terms"' not in page.content
    assert b'name="lines-0-quantity"' not in page.content
    assert post.status_code == 403
    rounds = page.content.decode().split('class="field-party"')[1]
    assert "<p>Customer</p>" in rounds.split("</td>")[0]


def _action(client, action, contracts, **extra):  # noqa: ANN001, ANN202
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in contracts], **extra}
    )


def test_sales_walks_a_contract_to_signed_with_actions(tenant_client, sales, sales2):
    contract = ContractFactory(by=sales2)
    client = logged_in(tenant_client, sales)

    for action in ("submit_for_review", "approve", "send", "mark_signed"):
        assert _action(client, action, [contract]).status_code == 302

    assert Contract.objects.get(pk=contract.pk).status == S.SIGNED


def test_approve_action_refuses_sales_above_the_limit_and_allows_admin(
    tenant_client, sales, admin_user
):
    contract = ContractFactory(
        lines=[LineInput(description="x", quantity="1", unit_price="100", discount_pct="25")]
    )
    _action(logged_in(tenant_client, sales), "submit_for_review", [contract])

    _action(tenant_client, "approve", [contract])
    assert Contract.objects.get(pk=contract.pk).status == S.PENDING_REVIEW

    _action(logged_in(tenant_client, admin_user), "approve", [contract])
    assert Contract.objects.get(pk=contract.pk).status == S.APPROVED


def test_void_action_needs_a_reason(tenant_client, sales):
    contract = ContractFactory()
    client = logged_in(tenant_client, sales)

    form = _action(client, "void", [contract])
    done = _action(client, "void", [contract], apply="1", reason="duplicate")

    assert b'name="reason"' in form.content
    assert done.status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == S.VOID


@pytest.mark.parametrize("role_fixture", ["viewer", "finance"], ids=str)
def test_roles_without_change_permission_cannot_run_contract_actions(
    tenant_client, request, role_fixture
):
    contract = ContractFactory()
    client = logged_in(tenant_client, request.getfixturevalue(role_fixture))

    _action(client, "submit_for_review", [contract])

    assert Contract.objects.get(pk=contract.pk).status == S.DRAFT


def test_only_an_admin_changes_the_pricing_policy(tenant_client, sales, admin_user):
    policy = PricingPolicy.objects.get()
    url = f"/admin/contracts/pricingpolicy/{policy.pk}/change/"
    body = {
        "currency": "EUR",
        "max_discount_pct_without_admin": "10",
        "hard_floor_discount_pct": "25",
    }

    refused = logged_in(tenant_client, sales).post(url, body)
    assert refused.status_code == 403

    done = logged_in(tenant_client, admin_user).post(url, body)
    assert done.status_code == 302
    policy.refresh_from_db()
    assert (policy.max_discount_pct_without_admin, policy.hard_floor_discount_pct) == (
        Decimal("10.00"),
        Decimal("25.00"),
    )


def test_policy_form_refuses_a_limit_above_the_floor(tenant_client, admin_user):
    policy = PricingPolicy.objects.get()
    client = logged_in(tenant_client, admin_user)

    response = client.post(
        f"/admin/contracts/pricingpolicy/{policy.pk}/change/",
        {
            "currency": "EUR",
            "max_discount_pct_without_admin": "40",
            "hard_floor_discount_pct": "30",
        },
    )

    assert response.status_code == 200
    assert PricingPolicy.objects.get().max_discount_pct_without_admin == Decimal("15.00")


def test_admin_adds_a_price_list_item_and_sales_cannot(tenant_client, sales, admin_user):
    body = {"sku": "SEAT-PRO", "name": "Pro seat", "unit": "seat", "unit_price": "79.00"}

    assert (
        logged_in(tenant_client, sales)
        .post("/admin/contracts/pricelistitem/add/", body)
        .status_code
        == 403
    )
    response = logged_in(tenant_client, admin_user).post(
        "/admin/contracts/pricelistitem/add/", {**body, "active": "on"}
    )

    assert response.status_code == 302
    assert PriceListItem.objects.get(sku="SEAT-PRO").unit_price == Decimal("79.00")
