"""Apply a state-machine transition and write its audit row, atomically."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django_fsm import TransitionNotAllowed

from revo.audit.models import StateTransition
from revo.core.exceptions import IllegalTransition

M = TypeVar("M", bound=models.Model)


def allowed_transitions(instance: models.Model, field: str = "status") -> list[str]:
    """Names of the transitions the object's current state allows (conditions met)."""
    getter = getattr(instance, f"get_available_{field}_transitions")
    return sorted({t.name for t in getter()})


def transition_apply(
    *,
    instance: M,
    transition: str,
    field: str = "status",
    by: Any = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    update_fields: Iterable[str] = (),
    args: Iterable[Any] = (),
) -> M:
    """Run the django-fsm transition method ``transition`` on ``instance``, save the state
    field (plus ``update_fields``) and write a ``StateTransition`` row, in one transaction.

    The caller is expected to hold a row lock on ``instance`` when concurrent changes are
    possible (``select_for_update`` in its ``lock_objects`` helper). An illegal transition
    raises ``IllegalTransition`` listing the allowed ones; nothing is written.
    """
    method = getattr(instance, transition, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise ValueError(f"{type(instance).__name__} has no transition {transition!r}")
    from_state = getattr(instance, field)
    with transaction.atomic():
        try:
            method(*args)
        except TransitionNotAllowed:
            allowed = allowed_transitions(instance, field)
            raise IllegalTransition(
                f"cannot {transition} a {type(instance)._meta.verbose_name} in state "
                f"{from_state!r}",
                allowed=allowed,
                current=str(from_state),
            ) from None
        fields = {field, *update_fields}
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            fields.add("updated_at")
        instance.save(update_fields=sorted(fields))
        StateTransition.objects.create(
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=str(instance.pk),
            field=field,
            transition=transition,
            from_state=str(from_state),
            to_state=str(getattr(instance, field)),
            by_user=by if getattr(by, "pk", None) else None,
            by_run_id=run_id,
            reason=reason,
            data=data or {},
        )
    return instance


def record_creation(
    *,
    instance: models.Model,
    field: str = "status",
    by: Any = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
    also: Iterable[StateTransition] = (),
) -> StateTransition:
    """The first history row of an object: created in its initial state. ``also``: other
    unsaved history rows of the same transaction, inserted in the same statement."""
    row = StateTransition(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        field=field,
        transition="create",
        from_state="",
        to_state=str(getattr(instance, field)),
        by_user=by if getattr(by, "pk", None) else None,
        by_run_id=run_id,
        reason=reason,
    )
    others = list(also)
    if others:
        StateTransition.objects.bulk_create([*others, row])  # in the order they happened
    else:
        row.save(force_insert=True)
    return row
