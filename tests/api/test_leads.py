"""Leads through the API: CRUD, transitions, CSV import, replies."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.leads.models import Lead, LeadStatus, Reply
from tests.leads.factories import LeadFactory, ReplyFactory

LEADS_URL = "/api/v1/leads"


@pytest.fixture
def sdr(user_by_role):  # noqa: ANN201
    return user_by_role(Role.SDR)


def test_create_returns_the_lead_and_its_audit_row(api_client, sdr, auth_header):
    response = api_client.post(
        LEADS_URL,
        {"email": "Ada@Example.com", "company": "Initech", "country": "DE"},
        **auth_header(sdr),
    )

    body = response.json()
    assert response.status_code == 201, body
    lead = Lead.objects.get(pk=body["id"])
    assert lead.email == "ada@example.com"
    assert body["status"] == "new"
    assert body["allowed_transitions"] == [
        "bounce",
        "contact",
        "disqualify",
        "engage",
        "unsubscribe",
    ]
    audit = StateTransition.objects.get(pk=body["audit_id"])
    assert (audit.object_id, audit.transition, audit.by_user_id) == (str(lead.pk), "create", sdr.pk)


@pytest.mark.parametrize(
    "field",
    ["status", "score", "score_reasons", "created_at", "id", "deleted_at", "hacker"],
    ids=lambda f: f,
)
def test_create_refuses_system_and_unknown_fields(api_client, sdr, auth_header, field):
    response = api_client.post(
        LEADS_URL, {"email": "x@example.com", field: "qualified"}, **auth_header(sdr)
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Lead.objects.filter(email="x@example.com").exists()


def test_create_with_a_taken_email_conflicts(api_client, sdr, auth_header):
    LeadFactory(email="taken@example.com")

    response = api_client.post(LEADS_URL, {"email": "TAKEN@example.com"}, **auth_header(sdr))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_create_with_a_bad_country_is_refused_by_the_service(api_client, sdr, auth_header):
    response = api_client.post(
        LEADS_URL, {"email": "c@example.com", "country": "ZZ"}, **auth_header(sdr)
    )

    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == "validation_error"
    assert not Lead.objects.filter(email="c@example.com").exists()


def test_list_filters_orders_and_stays_within_a_query_budget(
    api_client, sdr, auth_header, django_assert_max_num_queries
):
    for i in range(12):
        LeadFactory(email=f"l{i:02d}@example.com", source="fair" if i % 2 else "web", owner=sdr)
    headers = auth_header(sdr)

    with django_assert_max_num_queries(8):
        response = api_client.get(
            LEADS_URL, {"source": "fair", "ordering": "email", "page_size": 50}, **headers
        )

    emails = [lead["email"] for lead in response.json()["results"]]
    assert emails == [f"l{i:02d}@example.com" for i in range(1, 12, 2)]


def test_list_filters_by_several_statuses(api_client, sdr, auth_header):
    LeadFactory(email="new@example.com")
    contacted = LeadFactory(email="contacted@example.com")
    api_client.post(
        f"{LEADS_URL}/{contacted.pk}/transition", {"transition": "contact"}, **auth_header(sdr)
    )

    response = api_client.get(f"{LEADS_URL}?status=contacted&status=engaged", **auth_header(sdr))

    assert [lead["email"] for lead in response.json()["results"]] == ["contacted@example.com"]


def test_patch_changes_data_fields(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.patch(
        f"{LEADS_URL}/{lead.pk}", {"company": "Globex", "owner": sdr.pk}, **auth_header(sdr)
    )

    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert (lead.company, lead.owner_id) == ("Globex", sdr.pk)


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "qualified"), ("score", 99), ("scored_at", "2026-01-01T00:00:00Z")],
    ids=["status", "score", "scored_at"],
)
def test_patch_refuses_status_and_score(api_client, sdr, auth_header, field, value):
    lead = LeadFactory()

    response = api_client.patch(f"{LEADS_URL}/{lead.pk}", {field: value}, **auth_header(sdr))

    assert response.status_code == 400
    lead.refresh_from_db()
    assert (lead.status, lead.score) == (LeadStatus.NEW, None)


def test_delete_is_soft_and_returns_its_audit_row(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.delete(f"{LEADS_URL}/{lead.pk}", **auth_header(sdr))

    assert response.status_code == 200
    assert response.json()["id"] == lead.pk
    assert StateTransition.objects.get(pk=response.json()["audit_id"]).transition == "soft_delete"
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Lead.all_objects.filter(pk=lead.pk).exists()
    assert api_client.get(f"{LEADS_URL}/{lead.pk}", **auth_header(sdr)).status_code == 404


def test_transition_moves_the_lead_and_audits_the_reason(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.post(
        f"{LEADS_URL}/{lead.pk}/transition",
        {"transition": "disqualify", "reason": "no budget"},
        **auth_header(sdr),
    )

    assert response.status_code == 200
    assert response.json()["status"] == "disqualified"
    audit = StateTransition.objects.get(pk=response.json()["audit_id"])
    assert (audit.transition, audit.reason) == ("disqualify", "no budget")


def test_illegal_transition_is_409_with_the_allowed_ones(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.post(
        f"{LEADS_URL}/{lead.pk}/transition", {"transition": "convert"}, **auth_header(sdr)
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["allowed_transitions"] == [
        "bounce",
        "contact",
        "disqualify",
        "engage",
        "unsubscribe",
    ]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_viewer_cannot_create_a_lead(api_client, user_by_role, auth_header):
    response = api_client.post(
        LEADS_URL, {"email": "v@example.com"}, **auth_header(user_by_role(Role.VIEWER))
    )

    assert response.status_code == 403
    assert not Lead.objects.filter(email="v@example.com").exists()


def test_finance_reads_leads_but_cannot_import(api_client, user_by_role, auth_header):
    finance = user_by_role(Role.FINANCE)

    assert api_client.get(LEADS_URL, **auth_header(finance)).status_code == 200
    response = api_client.post(
        f"{LEADS_URL}/import",
        {"file": SimpleUploadedFile("l.csv", b"email\na@example.com\n")},
        format="multipart",
        **auth_header(finance),
    )
    assert response.status_code == 403


def test_csv_import_creates_leads_and_reports_every_row(api_client, sdr, auth_header):
    LeadFactory(email="old@example.com")
    csv = b"Email,First Name,Company\nnew@example.com,Ada,Initech\nold@example.com,Bob,X\nbad,C,Y\n"

    response = api_client.post(
        f"{LEADS_URL}/import",
        {"file": SimpleUploadedFile("leads.csv", csv, "text/csv"), "on_existing": "skip"},
        format="multipart",
        **auth_header(sdr),
    )

    body = response.json()
    assert response.status_code == 200, body
    assert body["summary"] == "3 rows: 1 created, 0 updated, 1 skipped, 1 errors"
    assert [r["email"] for r in body["created"]] == ["new@example.com"]
    assert Lead.objects.get(pk=body["created"][0]["lead_id"]).company == "Initech"
    assert [r["row"] for r in body["skipped"]] == [3]
    assert [r["row"] for r in body["errors"]] == [4]


def test_csv_import_refuses_a_file_without_an_email_column(api_client, sdr, auth_header):
    before = Lead.objects.count()

    response = api_client.post(
        f"{LEADS_URL}/import",
        {"file": SimpleUploadedFile("x.csv", b"name,company\nAda,Initech\n", "text/csv")},
        format="multipart",
        **auth_header(sdr),
    )

    assert response.status_code == 422
    assert "no email column" in response.json()["error"]["message"]
    assert Lead.objects.count() == before


def test_csv_import_refuses_json_without_a_file(api_client, sdr, auth_header):
    response = api_client.post(f"{LEADS_URL}/import", {"on_existing": "skip"}, **auth_header(sdr))

    assert response.status_code == 415


def test_record_a_reply_for_a_lead(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.post(
        f"{LEADS_URL}/{lead.pk}/replies",
        {"subject": "Re: hello", "body": "Call me", "message_id": "<m1@x>"},
        **auth_header(sdr),
    )

    assert response.status_code == 201, response.json()
    reply = Reply.objects.get(pk=response.json()["id"])
    assert (reply.lead_id, reply.from_email, reply.classification) == (lead.pk, lead.email, "")


def test_a_reply_body_cannot_set_its_classification(api_client, sdr, auth_header):
    lead = LeadFactory()

    response = api_client.post(
        f"{LEADS_URL}/{lead.pk}/replies", {"classification": "interested"}, **auth_header(sdr)
    )

    assert response.status_code == 400
    assert not Reply.objects.filter(lead=lead).exists()


def test_replies_of_a_missing_lead_are_404(api_client, sdr, auth_header):
    assert api_client.get(f"{LEADS_URL}/999999/replies", **auth_header(sdr)).status_code == 404


def test_reply_lists_filter_and_stay_within_a_query_budget(
    api_client, sdr, auth_header, django_assert_max_num_queries
):
    first, second = LeadFactory(), LeadFactory()
    for _ in range(5):
        ReplyFactory(lead=first)
        ReplyFactory(lead=second)
    headers = auth_header(sdr)

    with django_assert_max_num_queries(8):
        everything = api_client.get("/api/v1/replies", {"unclassified": "true"}, **headers)
    with django_assert_max_num_queries(8):
        of_one = api_client.get(f"{LEADS_URL}/{first.pk}/replies", **headers)
    filtered = api_client.get("/api/v1/replies", {"lead": second.pk}, **headers)

    assert everything.json()["count"] == 10
    assert {r["lead"] for r in of_one.json()["results"]} == {first.pk}
    assert {r["lead"] for r in filtered.json()["results"]} == {second.pk}


def test_a_bad_datetime_filter_is_400_not_500(api_client, sdr, auth_header):
    response = api_client.get(
        LEADS_URL, {"created_before": "0097-09-09T03:23:05-21:02"}, **auth_header(sdr)
    )

    assert response.status_code in (200, 400)
