from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from revo.audit.models import StateTransition


@admin.register(StateTransition)
class StateTransitionAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable, never editable."""

    list_display = (
        "at",
        "content_type",
        "object_id",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "reason",
    )
    list_filter = ("content_type", "transition", "to_state")
    search_fields = ("object_id", "reason")
    list_select_related = ("content_type", "by_user")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
