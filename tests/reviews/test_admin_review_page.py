from __future__ import annotations

from typing import Any

import pytest
from django.utils.html import escape

from revo.accounts.roles import Role
from revo.reviews.models import ReviewDecision, ReviewSettings, ReviewStatus
from revo.reviews.services import review_decide
from tests.reviews.artifacts import (
    DECIDERS,
    ENTITY_TYPES,
    item_of,
    make_artifact,
    submitted_contract,
)

QUEUE = "/admin/reviews/reviewitem/"
BUTTONS = ('value="approve"', 'value="edit_approve"', 'value="reject"', 'value="regenerate"')


def _page(artifact: Any) -> str:
    return f"{QUEUE}{item_of(artifact).pk}/review/"


def _form_data(artifact: Any, **changes: Any) -> dict[str, Any]:
    values = {k: "" if v is None else v for k, v in artifact.review_editable_values().items()}
    return {**values, **changes}


def _messages(response) -> list[str]:  # noqa: ANN001
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def as_role(tenant_client, user_of):  # noqa: ANN201
    def _login(role: str, user=None):  # noqa: ANN001, ANN202
        tenant_client.force_login(user or user_of(role))
        return tenant_client

    return _login


def test_review_page_shows_original_beside_editable_version_context_flags_and_history(
    as_role,
):
    artifact = make_artifact(
        "outreach", llm_backend="template", flagged_reasons=["mentions a competitor"]
    )
    artifact.subject = "Reviewer tweak"
    artifact.save(update_fields=["subject"])

    response = as_role(Role.SDR).get(_page(artifact))

    assert response.status_code == 200
    html = response.content.decode()
    assert artifact.ai_original["subject"] in html  # the AI original
    assert 'name="subject"' in html  # the editable version
    assert 'value="Reviewer tweak"' in html
    assert ">Lead<" in html  # context: the lead it belongs to
    assert escape(str(artifact.lead)) in html
    assert "mentions a competitor" in html
    assert "TEMPLATE (offline demo)" in html
    assert "pending_review (create)" in html  # audit history
    assert all(button in html for button in BUTTONS)


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_review_page_renders_for_every_role_with_buttons_only_for_deciders(
    as_role, entity_type, role
):
    artifact = make_artifact(entity_type)

    response = as_role(role).get(_page(artifact))

    assert response.status_code == 200
    html = response.content.decode()
    may_decide = role in DECIDERS[entity_type]
    assert all(button in html for button in BUTTONS) is may_decide
    assert ("Read only" in html) is not may_decide


def test_approve_button_approves_and_returns_to_the_queue(as_role):
    artifact = make_artifact("outreach")

    response = as_role(Role.SDR).post(
        _page(artifact), {**_form_data(artifact), "decision": "approve"}, follow=True
    )

    assert response.redirect_chain[-1][0] == QUEUE
    assert any(m.startswith("Approve:") for m in _messages(response))
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.APPROVED


def test_edit_and_approve_button_saves_the_edits_with_before_and_after(as_role):
    artifact = make_artifact("outreach")
    original = artifact.subject

    response = as_role(Role.SDR).post(
        _page(artifact),
        {**_form_data(artifact, subject="Shorter subject"), "decision": "edit_approve"},
    )

    assert response.status_code == 302
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.APPROVED
    assert artifact.subject == "Shorter subject"
    decision = ReviewDecision.objects.get(item=item_of(artifact))
    assert (decision.before, decision.after) == (
        {"subject": original},
        {"subject": "Shorter subject"},
    )


def test_plain_approve_with_unsaved_edits_is_refused(as_role):
    artifact = make_artifact("outreach")

    response = as_role(Role.SDR).post(
        _page(artifact), {**_form_data(artifact, subject="Edited"), "decision": "approve"}
    )

    assert response.status_code == 400
    assert any("Edit and approve" in m for m in _messages(response))
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_edit_and_approve_with_invalid_fields_shows_the_errors(as_role):
    artifact = make_artifact("outreach")

    response = as_role(Role.SDR).post(
        _page(artifact), {**_form_data(artifact, subject=""), "decision": "edit_approve"}
    )

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


@pytest.mark.parametrize(
    ("decision", "target"),
    [("reject", ReviewStatus.REJECTED), ("regenerate", ReviewStatus.REGENERATE_REQUESTED)],
)
def test_reject_and_regenerate_buttons_need_a_reason(as_role, decision, target):
    artifact = make_artifact("outreach")
    client = as_role(Role.SDR)

    refused = client.post(_page(artifact), {**_form_data(artifact), "decision": decision})
    assert refused.status_code == 400
    assert any("reason is required" in m for m in _messages(refused))
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW

    done = client.post(
        _page(artifact),
        {**_form_data(artifact), "decision": decision, "reason": "Mention the case study"},
    )
    assert done.status_code == 302
    artifact.refresh_from_db()
    assert artifact.review_status == target
    assert artifact.decision_reason == "Mention the case study"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.SALES])
def test_roles_that_may_not_decide_are_refused_with_a_message(as_role, role):
    artifact = make_artifact("outreach")

    response = as_role(role).post(_page(artifact), {**_form_data(artifact), "decision": "approve"})

    assert response.status_code == 403
    assert any("may not decide outreach" in m for m in _messages(response))
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_deciding_an_artifact_someone_else_decided_shows_a_conflict(as_role, admin_user):
    artifact = make_artifact("outreach")
    client = as_role(Role.SDR)
    page = client.get(_page(artifact))
    assert page.status_code == 200
    review_decide(
        entity_type="outreach", entity_id=artifact.pk, decision="reject", by=admin_user, reason="x"
    )

    response = client.post(_page(artifact), {**_form_data(artifact), "decision": "approve"})

    assert response.status_code == 409
    assert any("cannot approve" in m for m in _messages(response))
    html = response.content.decode()
    assert "already decided: Rejected" in html
    assert not any(button in html for button in BUTTONS)


def test_self_approval_is_refused_on_the_page_unless_the_tenant_allows_it(as_role, user_of):
    author = user_of(Role.SDR)
    artifact = make_artifact("outreach", created_by=author)
    client = as_role(Role.SDR, user=author)

    page = client.get(_page(artifact)).content.decode()
    assert "does not allow approving your own artifacts" in page
    refused = client.post(_page(artifact), {**_form_data(artifact), "decision": "approve"})
    assert refused.status_code == 403

    ReviewSettings.objects.create(forbid_self_approval=False)
    allowed = client.post(_page(artifact), {**_form_data(artifact), "decision": "approve"})
    assert allowed.status_code == 302


def test_contract_above_the_discount_limit_shows_buttons_to_admins_only(as_role):
    contract = submitted_contract(discount_pct="20")

    sales_page = as_role(Role.SALES).get(_page(contract)).content.decode()
    admin_page = as_role(Role.ADMIN).get(_page(contract)).content.decode()

    assert "needs an admin" in sales_page
    assert not any(button in sales_page for button in BUTTONS)
    assert all(button in admin_page for button in BUTTONS)


def test_unknown_review_item_goes_back_to_the_queue_with_a_message(as_role):
    response = as_role(Role.ADMIN).get(f"{QUEUE}999999/review/", follow=True)

    assert response.redirect_chain[-1][0] == QUEUE
    assert any("does not exist" in m for m in _messages(response))


def test_review_settings_admin_is_a_singleton_edited_by_admins(as_role):
    client = as_role(Role.ADMIN)

    first = client.get("/admin/reviews/reviewsettings/")
    assert first.status_code == 302
    assert first["Location"].endswith("/admin/reviews/reviewsettings/add/")
    client.post("/admin/reviews/reviewsettings/add/", {})  # unchecked: allow self-approval
    settings_row = ReviewSettings.objects.get()
    assert settings_row.forbid_self_approval is False
    again = client.get("/admin/reviews/reviewsettings/add/")
    assert again["Location"].endswith(f"/admin/reviews/reviewsettings/{settings_row.pk}/change/")
    client.post(
        f"/admin/reviews/reviewsettings/{settings_row.pk}/change/", {"forbid_self_approval": "on"}
    )
    assert ReviewSettings.objects.get().forbid_self_approval is True


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SALES])
def test_review_settings_cannot_be_changed_by_other_roles(as_role, role):
    settings_row = ReviewSettings.objects.create(forbid_self_approval=True)
    client = as_role(role)

    response = client.post(f"/admin/reviews/reviewsettings/{settings_row.pk}/change/", {})

    assert response.status_code == 403
    assert ReviewSettings.objects.get().forbid_self_approval is True
