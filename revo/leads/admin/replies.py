"""Admin for replies (recorded and classified by people until the mailbox poller and the
agents take over) and a plain read-only view of outreach drafts (decisions happen in the
review queue)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from revo.core.exceptions import DomainError
from revo.leads import services
from revo.leads.admin.forms import ReplyForm
from revo.leads.models import OutreachMessage, Reply

_RECORD_FIELDS = ("lead", "from_email", "received_at", "subject", "body", "message_id")
_CLASSIFY_FIELDS = ("classification", "not_now_until", "handled")


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    form = ReplyForm
    list_display = (
        "received_at",
        "from_email",
        "lead",
        "subject",
        "classification",
        "handled",
    )
    list_filter = ("classification", "handled", "received_at")
    search_fields = ("from_email", "subject", "lead__email", "lead__company")
    list_select_related = ("lead",)
    raw_id_fields = ("lead",)
    date_hierarchy = "received_at"
    actions = ["mark_handled", "apply_to_lead"]

    def get_fields(self, request: HttpRequest, obj: Reply | None = None) -> tuple[str, ...]:
        if obj is None:
            return _RECORD_FIELDS
        return (*_RECORD_FIELDS, *_CLASSIFY_FIELDS, "classified_at", "handled_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Reply | None = None) -> tuple:
        if obj is None:
            return ()
        return (*_RECORD_FIELDS, "classified_at", "handled_at")

    def save_model(self, request: HttpRequest, obj: Reply, form: ReplyForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.reply_record(
                lead=data["lead"],
                from_email=data["from_email"],
                subject=data.get("subject", ""),
                body=data.get("body", ""),
                received_at=data.get("received_at"),
                message_id=data.get("message_id", ""),
            )
            obj.pk = created.pk
            return
        current = Reply.objects.get(pk=obj.pk)
        if data.get("classification") and (
            data["classification"] != current.classification
            or data.get("not_now_until") != current.not_now_until
        ):
            services.reply_classify(
                reply=current,
                classification=data["classification"],
                not_now_until=data.get("not_now_until"),
            )
        if data.get("handled") and not current.handled:
            services.reply_mark_handled(reply=current)

    @admin.action(description="Mark selected replies handled", permissions=["change"])
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Reply]) -> None:
        for reply in queryset:
            services.reply_mark_handled(reply=reply)
        self.message_user(request, f"{queryset.count()} reply(ies) marked handled.")

    @admin.action(
        description="Move each lead as its reply's classification implies",
        permissions=["change"],
    )
    def apply_to_lead(self, request: HttpRequest, queryset: QuerySet[Reply]) -> None:
        moved, unchanged, problems = 0, 0, []
        for reply in queryset.select_related("lead"):
            if not reply.classification:
                problems.append(f"reply {reply.pk} is not classified")
                continue
            try:
                outcome = services.lead_apply_reply_classification(
                    lead=reply.lead,
                    classification=reply.classification,
                    by=request.user,
                    reason=f"reply {reply.pk} classified {reply.classification}",
                )
            except DomainError as exc:
                problems.append(f"reply {reply.pk}: {exc.message}")
                continue
            if outcome.transition:
                moved += 1
            else:
                unchanged += 1
        self.message_user(request, f"{moved} lead(s) moved, {unchanged} left as they were.")
        if problems:
            self.message_user(request, "; ".join(problems), messages.WARNING)


@admin.register(OutreachMessage)
class OutreachMessageAdmin(admin.ModelAdmin):
    """Read-only: drafts are created by services and decided in the review queue."""

    list_display = (
        "to_email",
        "subject",
        "sequence_step",
        "review_status",
        "confidence",
        "agent",
        "llm_backend",
        "created_at",
    )
    list_filter = ("review_status", "sequence_step", "agent", "llm_backend")
    search_fields = ("to_email", "subject", "lead__email", "lead__company")
    list_select_related = ("lead",)
    date_hierarchy = "created_at"
    fields = (
        "lead",
        "to_email",
        "sequence_step",
        "subject",
        "body",
        "review_status",
        "ai_original",
        "edited",
        "confidence",
        "flagged_reasons",
        "agent",
        "run_id",
        "llm_backend",
        "llm_model",
        "created_by",
        "auto_approved",
        "reviewed_by",
        "reviewed_at",
        "decision_reason",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
