"""Contract email: approval sends the contract to the customer with a summary; once the
email is out, the contract is ``sent``."""

from __future__ import annotations

from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import contract_on_approved, contract_send
from revo.mail.models import EmailKind, EmailMessage
from revo.mail.services import email_enqueue
from revo.reviews.models import ReviewDecision


def contract_email_text(contract: Contract) -> str:
    lead = contract.deal.lead
    lines = [
        f"Dear {lead.full_name or lead.company or 'customer'},",
        "",
        "here is our offer for your review:",
        "",
    ]
    for line in contract.lines.order_by("position"):
        discount = f", {line.discount_pct}% off" if line.discount_pct else ""
        lines.append(
            f"- {line.description}: {line.quantity} {line.unit} x {line.unit_price} "
            f"{contract.currency}{discount} = {line.line_total} {contract.currency}"
        )
    lines += [
        "",
        f"Subtotal: {contract.subtotal} {contract.currency}",
        f"Discount: {contract.discount_total} {contract.currency}",
        f"Total: {contract.total} {contract.currency}",
        f"Payment terms: net {contract.payment_terms_net_days} days",
    ]
    if contract.valid_until:
        lines.append(f"Valid until: {contract.valid_until}")
    if contract.terms:
        lines += ["", contract.terms.strip()]
    return "\n".join(lines)


def contract_email_enqueue(*, contract: Contract, by: object = None) -> EmailMessage:
    """Queue the one email that sends an approved contract revision to the customer."""
    lead = contract.deal.lead
    return email_enqueue(
        to_email=lead.email,
        to_name=lead.full_name,
        subject=f"Your offer, revision {contract.revision}",
        body_text=contract_email_text(contract),
        kind=EmailKind.CONTRACT,
        artifact=contract,
        by=by,
    )


def contract_on_approved_email(artifact: Contract, decision: ReviewDecision) -> None:
    """Review gate callback: pending_review → approved, then queue the contract email (sent
    once the decision commits)."""
    contract_on_approved(artifact, decision)
    contract_email_enqueue(contract=artifact, by=decision.by_user)


def contract_on_sent(artifact: Contract, message: EmailMessage) -> None:
    """The contract reached the customer: approved → sent (a contract already sent by hand
    stays as it is)."""
    if artifact.status == ContractStatus.APPROVED:
        contract_send(contract=artifact)


def contract_veto(artifact: Contract, message: EmailMessage) -> str:
    """Checked just before sending: a revision voided, declined, signed or expired since the
    approval is not sent to the customer."""
    if artifact.status not in (ContractStatus.APPROVED, ContractStatus.SENT):
        return f"the contract is {artifact.status}"
    if artifact.status == ContractStatus.APPROVED and artifact.is_past_validity():
        return f"the contract expired on {artifact.valid_until}"
    return ""


def contract_emails_register() -> None:
    from revo.contracts.services import contract_on_rejected
    from revo.mail.registry import register_artifact_sender
    from revo.reviews.registry import register_artifact

    # Rejection voids the revision whoever decides (queue, API, bulk).
    register_artifact(
        Contract, on_approved=contract_on_approved_email, on_rejected=contract_on_rejected
    )
    register_artifact_sender("contracts.contract", on_sent=contract_on_sent, veto=contract_veto)
