"""History rows for changes that are not state transitions (field edits), written into the
same audit trail as transitions so an object's history reads as one list."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from revo.audit.models import StateTransition


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def change_record(
    *,
    instance: models.Model,
    changes: dict[str, tuple[Any, Any]],
    field: str,
    by: Any = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
    transition: str = "update",
) -> StateTransition:
    """One audit row for an edit: ``changes`` maps field → (before, after); the state
    field is unchanged (from = to)."""
    state = str(getattr(instance, field))
    return StateTransition.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        field=field,
        transition=transition,
        from_state=state,
        to_state=state,
        by_user=by if getattr(by, "pk", None) else None,
        by_run_id=run_id,
        reason=reason,
        data={
            name: {"before": _jsonable(before), "after": _jsonable(after)}
            for name, (before, after) in changes.items()
        },
    )
