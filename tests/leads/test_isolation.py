from __future__ import annotations

import pytest

from revo.leads.models import Lead, OutreachMessage, Reply
from revo.leads.services import lead_create
from revo.reviews.models import ReviewItem
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory, OutreachMessageFactory, ReplyFactory


@pytest.mark.parametrize(
    ("factory", "model"),
    [(LeadFactory, Lead), (OutreachMessageFactory, OutreachMessage), (ReplyFactory, Reply)],
    ids=["lead", "outreach", "reply"],
)
def test_rows_are_invisible_from_another_tenant(tenant, in_other_tenant, factory, model):
    obj = factory()

    with in_other_tenant():
        assert not model.objects.filter(pk=obj.pk).exists()
        assert not model._default_manager.exists()

    assert model.objects.filter(pk=obj.pk).exists()


def test_outreach_queue_rows_stay_in_their_tenant(tenant, in_other_tenant):
    OutreachMessageFactory()

    with in_other_tenant():
        assert not ReviewItem.objects.filter(entity_type="outreach").exists()

    assert ReviewItem.objects.filter(entity_type="outreach").count() == 1


def test_the_same_email_may_be_a_lead_in_two_tenants(tenant, in_other_tenant):
    mine = LeadFactory(email="shared@example.com")

    with in_other_tenant():
        theirs = lead_create(email="SHARED@example.com")
        assert Lead.objects.get().pk == theirs.pk

    assert Lead.objects.get().pk == mine.pk


def test_admin_of_another_tenant_does_not_show_our_leads(tenant, other_client, in_other_tenant):
    LeadFactory(email="secret@example.com")

    with in_other_tenant():
        LeadFactory(email="theirs@example.com")
        other_admin = UserFactory(role="admin", email="admin2@other.example")
        other_client.force_login(other_admin)
        response = other_client.get("/admin/leads/lead/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "theirs@example.com" in page
    assert "secret@example.com" not in page
