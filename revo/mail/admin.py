"""The outbox in the admin: what was sent, what waits, what failed and why; actions go
through the services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from revo.mail.models import (
    EmailAttachment,
    EmailMessage,
    EmailStatus,
    EmailStatusChange,
    MailEvent,
    MailSettings,
    Suppression,
    SuppressionReason,
)
from revo.mail.services import email_cancel, email_retry, suppression_add
from revo.mail.transport import raw_message


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class StatusChangeInline(_ReadOnlyInline):
    model = EmailStatusChange
    fields = ("created_at", "from_status", "to_status", "reason", "by")
    readonly_fields = fields


class AttachmentInline(_ReadOnlyInline):
    model = EmailAttachment
    fields = ("filename", "mimetype", "size", "sha256", "file")
    readonly_fields = fields


def _run_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, service, verb: str
) -> None:
    done, refused = 0, 0
    for message in queryset:
        try:
            service(message=message, by=request.user)
            done += 1
        except ValidationError:
            refused += 1
    if done:
        modeladmin.message_user(request, f"{done} message(s) {verb}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request,
            f"{refused} message(s) skipped: not in a state that allows it.",
            messages.WARNING,
        )


@admin.action(description="Retry selected failed messages", permissions=["change"])
def retry_failed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _run_action(
        modeladmin, request, queryset.filter(status=EmailStatus.FAILED), email_retry, "queued again"
    )


@admin.action(description="Cancel selected queued messages", permissions=["change"])
def cancel_queued(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _run_action(
        modeladmin, request, queryset.filter(status=EmailStatus.QUEUED), email_cancel, "cancelled"
    )


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "to_email",
        "subject",
        "kind",
        "status",
        "delivery",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "sandboxed", "kind", "outcome_unknown")
    search_fields = ("to_email", "subject", "message_id", "from_email")
    date_hierarchy = "created_at"
    actions = [retry_failed, cancel_queued]
    inlines = [AttachmentInline, StatusChangeInline]
    list_select_related = ("artifact_content_type",)
    fieldsets = (
        (None, {"fields": ("delivery", "status", "kind", "artifact_content_type", "artifact_id")}),
        (
            "Envelope",
            {
                "fields": (
                    "to_name",
                    "to_email",
                    "from_name",
                    "from_email",
                    "reply_to",
                    "subject",
                    "message_id",
                    "headers",
                )
            },
        ),
        (
            "Delivery",
            {
                "fields": (
                    "attempts",
                    "not_before",
                    "claimed_at",
                    "sent_at",
                    "provider_message_id",
                    "error",
                    "cancel_reason",
                    "outcome_unknown",
                    "sandbox_path",
                    "callback_error",
                )
            },
        ),
        ("Bodies", {"fields": ("body_text", "body_html")}),
        ("Raw message", {"fields": ("raw",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in EmailMessage._meta.fields] + ["delivery", "raw"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # noqa: ANN201
        if settings.MAIL_SANDBOX and request.method == "GET":
            self.message_user(
                request,
                "SANDBOX mode: emails are written to the local outbox and never leave this "
                "machine (set MAIL_SANDBOX=false to send through SMTP).",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Delivery")
    def delivery(self, obj: EmailMessage) -> str:
        if obj.sandboxed:
            return format_html(
                '<span style="background:#f0ad4e;color:#000;padding:1px 6px;'
                'border-radius:3px;font-weight:bold">{}</span>',
                "SANDBOX",
            )
        if obj.outcome_unknown:
            return format_html(
                '<span style="color:#c00;font-weight:bold">{}</span>', "OUTCOME UNKNOWN"
            )
        return "SMTP" if obj.status == EmailStatus.SENT else "–"

    @admin.display(description="Raw message (as sent)")
    def raw(self, obj: EmailMessage) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap;max-width:100ch'>{}</pre>", raw_message(obj)
        )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "source", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    fields = ("email", "reason", "source", "detail")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> tuple[str, ...]:
        return self.fields if obj else ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str]:
        return {"reason": SuppressionReason.MANUAL, "source": "admin"}

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Suppression, form: object, change: bool
    ) -> None:
        if change:
            return
        created = suppression_add(
            email=obj.email, reason=obj.reason, source=obj.source or "admin", detail=obj.detail
        )
        obj.pk = created.pk


@admin.register(MailEvent)
class MailEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "email", "kind", "source", "message")
    list_filter = ("kind",)
    search_fields = ("email", "provider_message_id")
    readonly_fields = (
        "email",
        "kind",
        "detail",
        "provider_message_id",
        "message",
        "source",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MailSettings)
class MailSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "from_name", "from_email", "daily_cap", "per_minute_rate")

    def get_exclude(self, request: HttpRequest, obj: object = None) -> tuple[str, ...]:
        # The webhook secret authenticates the provider: only who may change it sees it.
        return () if self.has_change_permission(request, obj) else ("webhook_secret",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MailSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
