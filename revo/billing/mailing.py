"""Invoice and dunning email: an issued invoice goes to the customer with its PDF; an
approved dunning notice goes out referencing the invoice, with the same PDF attached; a
payment that clears the balance withdraws reminders still waiting in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from revo.billing.models import OPEN_STATUSES, DunningNotice, Invoice, InvoiceStatus
from revo.mail.models import EmailKind, EmailMessage, EmailStatus
from revo.mail.selectors import email_message_for_artifact
from revo.mail.services import AttachmentInput, email_cancel, email_enqueue
from revo.reviews.models import ReviewDecision, ReviewStatus
from revo.reviews.services import review_mark_applied

logger = logging.getLogger("revo.billing")


def invoice_pdf_attachment(invoice: Invoice) -> AttachmentInput:
    if not invoice.pdf:
        raise ValidationError({"pdf": f"invoice {invoice} has no PDF yet"})
    with invoice.pdf.open("rb") as handle:
        content = handle.read()
    return AttachmentInput(
        filename=f"{invoice.number}.pdf", content=content, mimetype="application/pdf"
    )


def _greeting(invoice: Invoice) -> str:
    return f"Dear {invoice.customer_name or invoice.customer_company or 'customer'},"


def invoice_email_text(invoice: Invoice) -> str:
    return "\n".join(
        [
            _greeting(invoice),
            "",
            f"please find attached invoice {invoice.number} dated {invoice.issue_date}.",
            f"Amount due: {invoice.total} {invoice.currency}, payable by {invoice.due_date}.",
            "",
            "Thank you for your business.",
        ]
    )


def invoice_email_enqueue(*, invoice: Invoice, by: object = None) -> EmailMessage:
    """Queue the one email that delivers an issued invoice and its PDF to the customer."""
    return email_enqueue(
        to_email=invoice.customer_email,
        to_name=invoice.customer_name,
        subject=f"Invoice {invoice.number}",
        body_text=invoice_email_text(invoice),
        kind=EmailKind.INVOICE,
        artifact=invoice,
        attachments=[invoice_pdf_attachment(invoice)],
        by=by,
    )


def invoice_on_approved_email(artifact: Invoice, decision: ReviewDecision) -> None:
    """Review gate callback: issue the invoice (number, PDF), then queue its email; both in
    the decision's transaction, sent once it commits."""
    from revo.billing.services import invoice_on_approved

    invoice_on_approved(artifact, decision)
    issued = Invoice.objects.get(pk=artifact.pk)
    invoice_email_enqueue(invoice=issued, by=decision.by_user)


def dunning_email_text(notice: DunningNotice) -> str:
    invoice = notice.invoice
    reference = (
        f"Invoice {invoice.number} of {invoice.issue_date}: open balance "
        f"{invoice.balance} {invoice.currency}, due {invoice.due_date}."
    )
    if notice.fee:
        reference += f" Reminder fee: {notice.fee} {notice.currency}."
    return f"{notice.body.rstrip()}\n\n{reference}\nThe invoice is attached.\n"


def dunning_email_enqueue(*, notice: DunningNotice, by: object = None) -> EmailMessage:
    """Queue the one email for an approved notice, naming the invoice and attaching its PDF."""
    invoice = notice.invoice
    subject = notice.subject
    if invoice.number and invoice.number not in subject:
        subject = f"{subject} (invoice {invoice.number})"
    return email_enqueue(
        to_email=invoice.customer_email,
        to_name=invoice.customer_name,
        subject=subject,
        body_text=dunning_email_text(notice),
        kind=EmailKind.DUNNING,
        artifact=notice,
        attachments=[invoice_pdf_attachment(invoice)],
        by=by,
    )


def dunning_on_approved(artifact: DunningNotice, decision: ReviewDecision) -> None:
    """Review gate callback (a person, or the finance agent's auto-approval gate)."""
    dunning_email_enqueue(notice=artifact, by=decision.by_user)


def dunning_on_sent(artifact: DunningNotice, message: EmailMessage) -> None:
    """The reminder went out: the notice is applied (sent)."""
    if artifact.review_status == ReviewStatus.APPROVED:
        review_mark_applied(artifact=artifact, reason=f"sent as email {message.pk}")


def invoice_veto(artifact: Invoice, message: EmailMessage) -> str:
    """A voided invoice is not emailed any more."""
    return "the invoice was voided" if artifact.status == InvoiceStatus.VOID else ""


def dunning_veto(artifact: DunningNotice, message: EmailMessage) -> str:
    """Checked just before sending: a withdrawn notice or a settled invoice is not dunned."""
    if artifact.review_status != ReviewStatus.APPROVED:
        return f"the notice is {artifact.review_status}"
    invoice = artifact.invoice
    if invoice.status not in OPEN_STATUSES:
        return f"invoice {invoice.number} is {invoice.status}"
    return ""


def dunning_emails_cancel(*, notices: Iterable[DunningNotice], reason: str) -> list[EmailMessage]:
    """Withdraw the still-queued emails of notices that will never be sent (the invoice was
    paid); an email already being sent or sent is left as it is."""
    cancelled = []
    for notice in notices:
        message = email_message_for_artifact(artifact=notice, kind=EmailKind.DUNNING)
        if message is None or message.status != EmailStatus.QUEUED:
            continue
        try:
            cancelled.append(email_cancel(message=message, reason=f"notice withdrawn: {reason}"))
        except ValidationError:
            # Claimed by a worker in the meantime: it is going out, nothing to withdraw.
            logger.info(
                "dunning email already on its way",
                extra={"event": "dunning.email_not_cancelled", "email_message": message.pk},
            )
    return cancelled


def billing_emails_register() -> None:
    """Wire invoices and dunning notices into the review gate and the outbox."""
    from revo.mail.registry import register_artifact_sender
    from revo.reviews.registry import register_artifact

    register_artifact(Invoice, on_approved=invoice_on_approved_email)
    register_artifact(DunningNotice, on_approved=dunning_on_approved)
    register_artifact_sender("billing.invoice", veto=invoice_veto)
    register_artifact_sender("billing.dunningnotice", on_sent=dunning_on_sent, veto=dunning_veto)
