"""What a mutating endpoint answers with: the object it changed plus the id of the audit
row the service wrote, so an integrator can find the change in the history."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from revo.audit.selectors import history_for


def last_audit_id(instance: models.Model) -> int | None:
    """The id of the newest audit row of ``instance`` (``None`` if it has none)."""
    return history_for(instance).order_by("-id").values_list("id", flat=True).first()


class AuditIdField(serializers.IntegerField):
    """``audit_id``: the history row the change wrote (null when the change writes none)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text", "Id of the audit (history) row this change wrote; null if none."
        )
        super().__init__(**kwargs)

    def get_attribute(self, instance: object) -> object:
        return getattr(instance, "audit_id", None)


def with_audit_id(output: type[serializers.ModelSerializer], name: str) -> type:
    """The mutation answer of ``output``: its fields plus ``audit_id`` (a class named
    ``name``, which is also its OpenAPI component name)."""
    fields = (*output.Meta.fields, "audit_id")
    meta = type("Meta", (output.Meta,), {"fields": fields, "read_only_fields": fields})
    return type(
        name,
        (output,),
        {"audit_id": AuditIdField(), "Meta": meta, "__module__": output.__module__},
    )
