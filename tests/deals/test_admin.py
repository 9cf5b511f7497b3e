"""The deals admin: changelists per role without N+1, edits and actions through the
services, roles enforced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.audit.selectors import history_for
from revo.deals.models import Deal, DealStage
from revo.deals.services import deal_mark_lost
from tests.deals.admin_helpers import form_data, logged_in
from tests.deals.factories import DealFactory, DealProposalFactory

CHANGELIST = "/admin/deals/deal/"


@pytest.mark.parametrize(
    "role_fixture", ["admin_user", "sales", "finance", "viewer"], ids=lambda r: r
)
def test_deal_changelist_renders_for_every_role(tenant_client, request, role_fixture):
    DealFactory()
    client = logged_in(tenant_client, request.getfixturevalue(role_fixture))

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert b"Deal " in response.content


def test_deal_changelist_query_count_does_not_grow_with_rows(
    tenant_client, sales, django_assert_max_num_queries
):
    # given a page with two deals, measured
    DealFactory.create_batch(2)
    client = logged_in(tenant_client, sales)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200

    # when the page holds many more deals, then it takes no more queries
    DealFactory.create_batch(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.content.count(b'class="action-select"') == 12


def test_deal_search_finds_by_company(tenant_client, sales):
    DealFactory(lead__company="Umbrella Corp", name="Umbrella renewal")
    DealFactory(lead__company="Acme", name="Acme expansion")
    client = logged_in(tenant_client, sales)

    response = client.get(CHANGELIST, {"q": "umbrella"})

    assert b"Umbrella renewal" in response.content
    assert b"Acme expansion" not in response.content


def test_editing_a_deal_in_admin_goes_through_the_service(tenant_client, sales):
    deal = DealFactory()
    DealProposalFactory(deal=deal)
    client = logged_in(tenant_client, sales)
    page = client.get(f"{CHANGELIST}{deal.pk}/change/")
    assert page.status_code == 200
    data = form_data(page)
    data.update(amount="25000.00", next_step="Call the CFO")

    response = client.post(f"{CHANGELIST}{deal.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context["errors"]
    deal.refresh_from_db()
    assert (deal.amount, deal.next_step) == (Decimal("25000.00"), "Call the CFO")
    assert history_for(deal).last().transition == "update"
    assert history_for(deal).last().by_user == sales


def test_closed_deal_is_read_only_in_admin(tenant_client, sales):
    deal = DealFactory()
    deal_mark_lost(deal=deal, reason="no budget")
    client = logged_in(tenant_client, sales)

    page = client.get(f"{CHANGELIST}{deal.pk}/change/")
    post = client.post(f"{CHANGELIST}{deal.pk}/change/", {"name": "renamed"})

    assert page.status_code == 200
    assert b'name="name"' not in page.content
    assert post.status_code == 403


def _action(client, action, deals, **extra):  # noqa: ANN001, ANN202
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [d.pk for d in deals], **extra},
    )


def test_sales_advances_deals_with_an_action(tenant_client, sales):
    deals = DealFactory.create_batch(2)
    client = logged_in(tenant_client, sales)

    response = _action(client, "advance_to_proposal", deals)

    assert response.status_code == 302
    assert set(Deal.objects.values_list("stage", flat=True)) == {DealStage.PROPOSAL}


def test_an_illegal_move_in_a_batch_is_reported_and_the_rest_proceed(tenant_client, sales):
    ok, closed = DealFactory.create_batch(2)
    deal_mark_lost(deal=closed, reason="gone")
    client = logged_in(tenant_client, sales)

    _action(client, "advance_to_proposal", [ok, closed])
    response = client.get(CHANGELIST)

    assert Deal.objects.get(pk=ok.pk).stage == DealStage.PROPOSAL
    assert Deal.objects.get(pk=closed.pk).stage == DealStage.LOST
    assert b"cannot propose" in response.content
    assert b"Moved to proposal: 1" in response.content


@pytest.mark.parametrize("role_fixture", ["viewer", "finance"], ids=str)
def test_roles_without_change_permission_cannot_run_deal_actions(
    tenant_client, request, role_fixture
):
    deal = DealFactory()
    client = logged_in(tenant_client, request.getfixturevalue(role_fixture))

    _action(client, "advance_to_proposal", [deal])

    assert Deal.objects.get(pk=deal.pk).stage == DealStage.QUALIFICATION


def test_mark_lost_action_asks_for_a_reason_first(tenant_client, sales):
    deal = DealFactory()
    client = logged_in(tenant_client, sales)

    form = _action(client, "mark_lost", [deal])
    empty = _action(client, "mark_lost", [deal], apply="1", reason=" ")
    done = _action(client, "mark_lost", [deal], apply="1", reason="chose a competitor")

    assert form.status_code == 200
    assert b'name="reason"' in form.content
    assert empty.status_code == 200
    assert done.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == (DealStage.LOST, "chose a competitor")


def test_proposal_changelist_renders(tenant_client, viewer):
    DealProposalFactory()
    client = logged_in(tenant_client, viewer)

    assert client.get("/admin/deals/dealproposal/").status_code == 200
