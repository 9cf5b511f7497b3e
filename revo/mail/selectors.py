"""Reads of the outbox, the suppression list and the tenant's mail settings."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from revo.mail.models import EmailMessage, EmailStatus, MailSettings, Suppression
from revo.tenancy.models import Tenant


def current_tenant() -> Tenant:
    """The tenant whose schema the connection is in; refuses the public schema."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.schema_name == connection.schema_name:
        found = tenant
    else:
        found = Tenant.objects.filter(schema_name=connection.schema_name).first()
    if found is None or found.schema_name == "public":
        raise RuntimeError("mail runs inside a tenant's schema, not the public schema")
    return found


def tenant_primary_domain(tenant: Tenant) -> str:
    domain = tenant.get_primary_domain()
    return domain.domain if domain else f"{tenant.slug}.localhost"


def mail_settings_get() -> MailSettings | None:
    return MailSettings.objects.first()


def suppression_get(email: str) -> Suppression | None:
    return Suppression.objects.filter(email__iexact=email.strip()).first()


def suppression_exists(email: str) -> bool:
    return Suppression.objects.filter(email__iexact=email.strip()).exists()


def email_messages_list() -> models.QuerySet[EmailMessage]:
    """The outbox for the API: messages with their artifact's type in one query."""
    return EmailMessage.objects.select_related("artifact_content_type")


def email_message_for_artifact(*, artifact: models.Model, kind: str) -> EmailMessage | None:
    content_type = ContentType.objects.get_for_model(artifact)
    return EmailMessage.objects.filter(
        artifact_content_type=content_type, artifact_id=artifact.pk, kind=kind
    ).first()


def email_messages_for_artifact(artifact: models.Model) -> models.QuerySet[EmailMessage]:
    content_type = ContentType.objects.get_for_model(artifact)
    return EmailMessage.objects.filter(artifact_content_type=content_type, artifact_id=artifact.pk)


def email_message_by_message_id(message_id: str) -> EmailMessage | None:
    wanted = message_id.strip()
    if not wanted:
        return None
    if not wanted.startswith("<"):
        wanted = f"<{wanted}>"
    return EmailMessage.objects.filter(message_id=wanted).first()


def email_message_last_sent_to(email: str) -> EmailMessage | None:
    return (
        EmailMessage.objects.filter(to_email__iexact=email.strip(), status=EmailStatus.SENT)
        .order_by("-sent_at")
        .first()
    )


def email_messages_stuck_sending(*, claimed_before: datetime) -> list[int]:
    return list(
        EmailMessage.objects.filter(
            status=EmailStatus.SENDING, claimed_at__lt=claimed_before
        ).values_list("pk", flat=True)
    )


def email_messages_without_task(*, untouched_since: datetime) -> list[int]:
    """Queued messages whose task was lost: a live task touches its row at least every
    ``MAIL_MAX_COUNTDOWN_SECONDS``."""
    return list(
        EmailMessage.objects.filter(
            status=EmailStatus.QUEUED, updated_at__lt=untouched_since
        ).values_list("pk", flat=True)
    )
