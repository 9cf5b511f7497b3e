from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from revo.audit.models import StateTransition


def history_for(instance: models.Model) -> models.QuerySet[StateTransition]:
    """The audit trail of one object, oldest first."""
    return StateTransition.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
    ).select_related("by_user")
