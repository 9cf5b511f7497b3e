from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from revo.agents import admin_settings, services
from revo.agents.models import AgentRun, AgentRunItem, PipelineRun, RunOverride, RunStatus
from revo.core.exceptions import DomainError

__all__ = ["admin_settings"]  # imported for its registration of the agent settings page


class AgentRunItemInline(admin.TabularInline):
    model = AgentRunItem
    fields = ("item_type", "item_id", "outcome", "detail", "artifacts", "attempt", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Failures first: they are why someone opens a run.
        return super().get_queryset(request).order_by("-outcome", "id")


class RunOverrideInline(admin.TabularInline):
    model = RunOverride
    fields = ("at", "action", "from_status", "to_status", "by_user", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(AgentRun)
class AgentRunAdmin(admin.ModelAdmin):
    list_display = (
        "run_id",
        "agent",
        "status",
        "trigger",
        "attempts",
        "seen",
        "processed",
        "skipped",
        "failed",
        "artifacts_created",
        "auto_approved",
        "queued_at",
        "finished_at",
    )
    list_filter = ("status", "agent", "trigger")
    search_fields = ("run_id", "idempotency_key")
    list_select_related = ("requested_by",)
    date_hierarchy = "queued_at"
    readonly_fields = [f.name for f in AgentRun._meta.fields]
    inlines = [RunOverrideInline, AgentRunItemInline]
    actions = ["redrive"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AgentRun | None = None) -> bool:
        return False

    @admin.action(description="Re-drive selected dead or failed runs", permissions=["change"])
    def redrive(self, request: HttpRequest, queryset: QuerySet[AgentRun]) -> None:
        done = 0
        for run in queryset.filter(status__in=[RunStatus.DEAD, RunStatus.FAILED]):
            try:
                services.agent_run_retry(run_id=str(run.run_id), by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{run.run_id}: {exc.message}", messages.ERROR)
            else:
                done += 1
        skipped = queryset.count() - done
        self.message_user(request, f"{done} run(s) re-driven; {skipped} not dead or failed.")


@admin.register(PipelineRun)
class PipelineRunAdmin(admin.ModelAdmin):
    list_display = ("run_id", "status", "trigger", "stages", "queued_at", "finished_at")
    list_filter = ("status", "trigger")
    search_fields = ("run_id", "idempotency_key")
    readonly_fields = [f.name for f in PipelineRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PipelineRun | None = None) -> bool:
        return False
