"""The review page of one artifact: AI original beside the editable version, context, why
it was flagged, audit history, and the decision buttons. Every decision goes through
``revo.reviews.services.review_decide``; its domain errors become admin messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.forms.models import fields_for_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from revo.core.exceptions import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from revo.reviews import selectors
from revo.reviews.models import (
    ReviewableArtifact,
    ReviewDecisionKind,
    ReviewItem,
    ReviewStatus,
)
from revo.reviews.services import review_can_decide, review_decide

TEMPLATE_BACKEND = "template"
TEMPLATE_LABEL = "TEMPLATE (offline demo)"
PERSON_DECISIONS = (
    ReviewDecisionKind.APPROVE,
    ReviewDecisionKind.EDIT_APPROVE,
    ReviewDecisionKind.REJECT,
    ReviewDecisionKind.REGENERATE,
)


def backend_badge(backend: str) -> str:
    """The LLM backend as shown everywhere; offline template drafts are labelled loudly."""
    if backend == TEMPLATE_BACKEND:
        return format_html(
            '<strong class="revo-template-backend" title="Written by the offline template '
            'backend, not a language model">{}</strong>',
            TEMPLATE_LABEL,
        )
    return backend or "—"


def editable_form_class(model: type[ReviewableArtifact]) -> type[forms.Form]:
    """A plain form with the model's own form fields for ``REVIEW_EDITABLE_FIELDS`` (a
    ModelForm would write the edits onto the instance while validating)."""
    fields = fields_for_model(model, fields=list(model.REVIEW_EDITABLE_FIELDS))
    return type(f"{model.__name__}ReviewForm", (forms.Form,), dict(fields))


def _status_for(exc: DomainError) -> int:
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    return 400


def _context_value(request: HttpRequest, value: Any) -> Any:
    """A context value, linked to its admin page when the user may see it there."""
    if not isinstance(value, Model):
        return value
    model_admin = admin.site._registry.get(type(value))
    if model_admin is None or not model_admin.has_view_permission(request, value):
        return str(value)
    opts = value._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[value.pk])
    except NoReverseMatch:
        return str(value)
    return format_html('<a href="{}">{}</a>', url, value)


def _decide(
    request: HttpRequest, item: ReviewItem, artifact: ReviewableArtifact, form: forms.Form
) -> DomainError | None:
    """Run the posted decision; returns the error to show, or None when it succeeded."""
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    edits: dict[str, Any] | None = None
    if decision == ReviewDecisionKind.EDIT_APPROVE:
        if not form.is_valid():
            return InvalidInput("the edited fields are invalid: correct them below")
        edits = {name: form.cleaned_data[name] for name in form.changed_data}
    elif decision == ReviewDecisionKind.APPROVE and form.has_changed():
        return InvalidInput(
            "you edited the draft: use “Edit and approve” to keep your edits, or reload the "
            "page to approve it unchanged"
        )
    try:
        review_decide(
            entity_type=item.entity_type,
            entity_id=item.object_id,
            decision=decision,
            by=request.user,
            reason=reason,
            edits=edits,
        )
    except DomainError as exc:
        return exc
    return None


def review_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    changelist_url = reverse("admin:reviews_reviewitem_changelist")
    item = (
        model_admin.get_queryset(request)
        .select_related("content_type")
        .filter(pk=object_id if str(object_id).isdigit() else None)
        .first()
    )
    if item is None:
        messages.error(request, f"review item {object_id} does not exist")
        return HttpResponseRedirect(changelist_url)
    artifact = selectors.review_artifact_for(item)
    if artifact is None:
        messages.error(request, f"the {item.entity_type} behind “{item.title}” no longer exists")
        return HttpResponseRedirect(changelist_url)

    form_class = editable_form_class(type(artifact))
    initial = artifact.review_editable_values()
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, initial=initial)
        error = _decide(request, item, artifact, form)
        if error is None:
            decision = ReviewDecisionKind(request.POST["decision"])
            messages.success(request, f"{decision.label}: “{item.title}”")
            return HttpResponseRedirect(changelist_url)
        messages.error(request, error.message)
        status = _status_for(error)
        item.refresh_from_db()
        artifact = selectors.review_artifact_for(item) or artifact
    else:
        form = form_class(initial=initial)

    if artifact.review_status == ReviewStatus.PENDING_REVIEW:
        can_decide, why_not = review_can_decide(user=request.user, artifact=artifact)
    else:
        can_decide, why_not = False, f"already decided: {artifact.get_review_status_display()}"
    if not can_decide:
        for field in form.fields.values():
            field.disabled = True

    opts = ReviewItem._meta
    fields = [
        {
            "label": form[name].label,
            "original": artifact.ai_original.get(name, ""),
            "field": form[name],
        }
        for name in artifact.REVIEW_EDITABLE_FIELDS
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": f"Review: {item.title}",
        "subtitle": None,
        "item": item,
        "artifact": artifact,
        "artifact_type_label": str(type(artifact)._meta.verbose_name).capitalize(),
        "backend": backend_badge(artifact.llm_backend),
        "form": form,
        "fields": fields,
        "context_rows": [
            (label, _context_value(request, value))
            for label, value in artifact.review_context().items()
        ],
        "flagged_reasons": [str(reason) for reason in artifact.flagged_reasons or []],
        "history": selectors.review_history(item=item, artifact=artifact),
        "can_decide": can_decide,
        "why_not": why_not,
        "decisions": PERSON_DECISIONS,
        "changelist_url": changelist_url,
    }
    return TemplateResponse(request, "admin/reviews/reviewitem/review.html", context, status=status)
