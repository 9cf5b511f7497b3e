from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from revo.accounts.roles import Role
from revo.audit.selectors import history_for
from revo.leads.csv_import import leads_import_csv
from revo.leads.models import Lead, LeadStatus, Reply
from revo.leads.services import lead_score_set, lead_transition, reply_classify
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory, OutreachMessageFactory, ReplyFactory

ALL_ROLES = [r.value for r in Role]
CHANGELIST = "admin:leads_lead_changelist"
# The lead page's read-only inlines still post their (empty) management forms.
INLINE_MANAGEMENT = {
    f"{prefix}-{name}": "0"
    for prefix in ("outreach_messages", "replies")
    for name in ("TOTAL_FORMS", "INITIAL_FORMS")
}


@pytest.fixture
def login(tenant_client):  # noqa: ANN201
    def _login(role: str):  # noqa: ANN202
        user = UserFactory(role=role, email=f"{role}-admin-test@test.example")
        tenant_client.force_login(user)
        return user

    return _login


def _exported(response) -> list[dict[str, str]]:  # noqa: ANN001
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_lead_pages_render_for_every_role(tenant, tenant_client, login, role):
    lead = LeadFactory()
    OutreachMessageFactory(lead=lead, subject="Hello there")
    ReplyFactory(lead=lead, subject="Re: Hello there")
    login(role)

    changelist = tenant_client.get(reverse(CHANGELIST))
    detail = tenant_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    outreach = tenant_client.get(reverse("admin:leads_outreachmessage_changelist"))
    replies = tenant_client.get(reverse("admin:leads_reply_changelist"))

    assert changelist.status_code == 200
    assert lead.email in changelist.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Hello there" in page
    assert "Re: Hello there" in page
    assert "create" in page  # the history section
    assert outreach.status_code == 200
    assert replies.status_code == 200


def test_changelist_query_count_does_not_grow_with_rows(
    tenant, tenant_client, login, django_assert_max_num_queries
):
    owner = UserFactory(role=Role.SDR)
    for _ in range(3):
        LeadFactory(owner=owner)
    login(Role.ADMIN)
    with CaptureQueriesContext(connection) as few:
        assert tenant_client.get(reverse(CHANGELIST)).status_code == 200
    for _ in range(30):
        LeadFactory(owner=UserFactory(role=Role.SDR))

    with (
        django_assert_max_num_queries(len(few)),
        CaptureQueriesContext(connection) as many,
    ):
        assert tenant_client.get(reverse(CHANGELIST)).status_code == 200

    assert len(many) == len(few)
    # The admin asks every singleton settings model (mail, billing...) on each page whether
    # one may still be added; those probes grow with the apps, not with the changelist.
    statements = [
        q
        for q in many
        if not q["sql"].startswith("SET search_path")
        and not q["sql"].startswith('SELECT 1 AS "a" FROM')
    ]
    assert len(statements) <= 15


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "contacted"}, ["b@example.com"]),
        ({"score_band": "hot"}, ["a@example.com"]),
        ({"score_band": "none"}, ["b@example.com", "c@example.com"]),
        ({"q": "Initech"}, ["c@example.com"]),
        ({"country__exact": "FR"}, ["c@example.com"]),
    ],
    ids=["status", "hot", "unscored", "search-company", "country"],
)
def test_changelist_filters(tenant, tenant_client, login, params, expected):
    lead_score_set(lead=LeadFactory(email="a@example.com"), score=90)
    lead_transition(lead=LeadFactory(email="b@example.com"), transition="contact")
    LeadFactory(email="c@example.com", company="Initech", country="FR")
    login(Role.VIEWER)

    response = tenant_client.get(reverse(CHANGELIST), params)

    shown = sorted(lead.email for lead in response.context["cl"].result_list)
    assert shown == expected


def test_transition_action_moves_leads_through_the_service(tenant, tenant_client, login):
    leads = [LeadFactory(), LeadFactory()]
    user = login(Role.SDR)

    response = tenant_client.post(
        reverse(CHANGELIST),
        {"action": "transition_contact", "_selected_action": [lead.pk for lead in leads]},
        follow=True,
    )

    assert response.status_code == 200
    for lead in leads:
        assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
        assert history_for(lead).last().by_user == user


def test_illegal_transition_action_reports_and_changes_nothing(tenant, tenant_client, login):
    lead = LeadFactory()
    login(Role.SALES)

    response = tenant_client.post(
        reverse(CHANGELIST),
        {"action": "transition_qualify", "_selected_action": [lead.pk]},
        follow=True,
    )

    assert "1 refused" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_without_lead_rights_cannot_run_actions(tenant, tenant_client, login, role):
    lead = LeadFactory()
    login(role)

    tenant_client.post(
        reverse(CHANGELIST), {"action": "transition_contact", "_selected_action": [lead.pk]}
    )

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW
    assert history_for(lead).count() == 1


def test_adding_a_lead_in_admin_goes_through_the_service(tenant, tenant_client, login):
    user = login(Role.SDR)

    response = tenant_client.post(
        reverse("admin:leads_lead_add"),
        {
            "email": "New.Lead@Example.com",
            "first_name": "New",
            "country": "de",
            "lawful_basis": "consent",
            "consent_note": "webinar form",
            **INLINE_MANAGEMENT,
        },
    )

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.email, lead.country, lead.lawful_basis) == (
        "new.lead@example.com",
        "DE",
        "consent",
    )
    assert history_for(lead).get().by_user == user


def test_adding_a_duplicate_email_shows_a_form_error(tenant, tenant_client, login):
    LeadFactory(email="taken@example.com")
    login(Role.SDR)

    response = tenant_client.post(
        reverse("admin:leads_lead_add"),
        {"email": "TAKEN@example.com", "lawful_basis": "consent", **INLINE_MANAGEMENT},
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Lead.objects.count() == 1


def test_editing_a_lead_keeps_its_status(tenant, tenant_client, login):
    lead = lead_transition(lead=LeadFactory(company="Old"), transition="contact")
    login(Role.SALES)

    response = tenant_client.post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        {
            "email": lead.email,
            "company": "New Co",
            "lawful_basis": "legitimate_interest",
            "status": "qualified",
            **INLINE_MANAGEMENT,
        },
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.company, lead.status) == ("New Co", LeadStatus.CONTACTED)


def test_deleting_in_admin_soft_deletes_and_keeps_drafts_and_replies(tenant, tenant_client, login):
    lead = LeadFactory()
    OutreachMessageFactory(lead=lead)
    ReplyFactory(lead=lead)
    user = login(Role.ADMIN)

    confirm = tenant_client.get(reverse("admin:leads_lead_delete", args=[lead.pk]))
    tenant_client.post(reverse("admin:leads_lead_delete", args=[lead.pk]), {"post": "yes"})

    assert confirm.status_code == 200
    assert "protected" not in confirm.content.decode()
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Lead.all_objects.get(pk=lead.pk).is_deleted
    assert history_for(lead).last().by_user == user
    assert lead.outreach_messages.count() == 1
    assert Reply.objects.filter(lead_id=lead.pk).count() == 1


def test_bulk_delete_action_soft_deletes_selected_leads(tenant, tenant_client, login):
    leads = [LeadFactory(), LeadFactory()]
    OutreachMessageFactory(lead=leads[0])
    kept = LeadFactory()
    login(Role.SDR)

    tenant_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "post": "yes", "_selected_action": [x.pk for x in leads]},
    )

    assert list(Lead.objects.all()) == [kept]
    assert Lead.all_objects.count() == 3


def test_upload_imports_and_shows_the_report(tenant, tenant_client, login):
    user = login(Role.SDR)
    upload = SimpleUploadedFile(
        "leads.csv", b"Email;Company\na@example.com;A\nbroken;B\nA@example.com;A2\n"
    )

    response = tenant_client.post(
        reverse("admin:leads_lead_import"),
        {"file": upload, "on_existing": "skip", "source": "upload"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 rows: 1 created, 0 updated, 1 skipped, 1 errors" in page
    assert "duplicate of row 2 in this file" in page
    assert "&#x27;broken&#x27; is not a valid email address" in page
    lead = Lead.objects.get()
    assert (lead.email, lead.source) == ("a@example.com", "upload")
    assert history_for(lead).get().by_user == user


def test_upload_of_a_refused_file_shows_why_and_writes_nothing(tenant, tenant_client, login):
    login(Role.SALES)
    upload = SimpleUploadedFile("contacts.csv", b"Name,Company\nAda,AE\n")

    response = tenant_client.post(
        reverse("admin:leads_lead_import"), {"file": upload, "on_existing": "skip"}
    )

    assert response.status_code == 200
    assert "no email column found" in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_without_lead_rights_cannot_import_or_export(tenant, tenant_client, login, role):
    LeadFactory()
    login(role)
    upload = SimpleUploadedFile("leads.csv", b"Email\na@example.com\n")

    imported = tenant_client.post(
        reverse("admin:leads_lead_import"), {"file": upload, "on_existing": "skip"}
    )
    exported = tenant_client.get(reverse("admin:leads_lead_export"))
    changelist = tenant_client.get(reverse(CHANGELIST)).content.decode()

    assert imported.status_code == 403
    assert exported.status_code == 403
    assert "Import CSV" not in changelist
    assert Lead.objects.count() == 1


def test_export_selected_streams_only_the_selected_leads(tenant, tenant_client, login):
    chosen = LeadFactory(email="chosen@example.com", phone="+49 30 1234")
    LeadFactory(email="other@example.com")
    login(Role.SDR)

    response = tenant_client.post(
        reverse(CHANGELIST), {"action": "export_selected", "_selected_action": [chosen.pk]}
    )

    assert response.streaming
    rows = _exported(response)
    assert [(r["Email"], r["Phone"], r["Status"]) for r in rows] == [
        ("chosen@example.com", "+49 30 1234", "new")
    ]


def test_export_follows_the_changelist_filters(tenant, tenant_client, login):
    lead_transition(lead=LeadFactory(email="contacted@example.com"), transition="contact")
    LeadFactory(email="new@example.com")
    login(Role.SALES)

    response = tenant_client.get(reverse("admin:leads_lead_export"), {"status__exact": "contacted"})

    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    assert [r["Email"] for r in _exported(response)] == ["contacted@example.com"]


def test_exported_file_imports_back_unchanged(tenant, tenant_client, login):
    LeadFactory(email="ada@example.com", first_name="Ada", company="=HYPERLINK(1)", source="s1")
    login(Role.ADMIN)
    body = b"".join(tenant_client.get(reverse("admin:leads_lead_export")).streaming_content)
    Lead.objects.all().delete()

    report = leads_import_csv(file=body)

    lead = Lead.objects.get()
    assert report.errors == []
    assert (lead.email, lead.first_name, lead.source) == ("ada@example.com", "Ada", "s1")
    assert lead.company == "'=HYPERLINK(1)"  # defused on export, never evaluated


def test_reply_admin_records_and_classifies_through_services(tenant, tenant_client, login):
    lead = LeadFactory()
    login(Role.SDR)

    tenant_client.post(
        reverse("admin:leads_reply_add"),
        {
            "lead": lead.pk,
            "from_email": lead.email.upper(),
            "subject": "Re: hi",
            "body": "Yes",
            "received_at_0": "2026-11-20",
            "received_at_1": "10:00:00",
        },
    )
    reply = Reply.objects.get()
    tenant_client.post(
        reverse("admin:leads_reply_change", args=[reply.pk]),
        {"classification": "interested", "handled": "on"},
    )
    tenant_client.post(
        reverse("admin:leads_reply_changelist"),
        {"action": "apply_to_lead", "_selected_action": [reply.pk]},
    )

    reply.refresh_from_db()
    assert reply.from_email == lead.email
    assert (reply.classification, reply.handled) == ("interested", True)
    assert reply.classified_at is not None
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.ENGAGED


def test_viewer_cannot_classify_replies(tenant, tenant_client, login):
    reply = ReplyFactory()
    login(Role.VIEWER)

    tenant_client.post(
        reverse("admin:leads_reply_change", args=[reply.pk]), {"classification": "bounce"}
    )

    assert Reply.objects.get(pk=reply.pk).classification == ""


def test_reply_classified_elsewhere_shows_in_the_list(tenant, tenant_client, login):
    reply = reply_classify(reply=ReplyFactory(), classification="question")
    login(Role.VIEWER)

    response = tenant_client.get(
        reverse("admin:leads_reply_changelist"), {"classification__exact": "question"}
    )

    assert [r.pk for r in response.context["cl"].result_list] == [reply.pk]


def test_outreach_admin_is_read_only(tenant, tenant_client, login):
    message = OutreachMessageFactory(subject="Original")
    login(Role.ADMIN)

    tenant_client.post(
        reverse("admin:leads_outreachmessage_change", args=[message.pk]), {"subject": "Hacked"}
    )

    assert message.__class__.objects.get(pk=message.pk).subject == "Original"
    assert tenant_client.get(reverse("admin:leads_outreachmessage_add")).status_code == 403
