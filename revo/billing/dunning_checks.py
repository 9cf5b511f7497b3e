"""What code checks before a dunning notice may skip review: the level's own policy, and
whether the notice's text contradicts its invoice (a reviewer sees the latter as flags)."""

from __future__ import annotations

import re
from decimal import Decimal

from revo.billing.models import ZERO, DunningLevel, Invoice
from revo.llm.validators import MONEY_RE, parse_amount

# An invoice number in the tenant's format (``INV-2026-0042``) or any reference written as
# "invoice <ref>" / "invoice no. <ref>" / "invoice #<ref>".
_NUMBERED = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{2,}\b")
_REFERENCED = re.compile(
    r"\binvoice\s+(?:no\.?\s*|number\s+|#\s*)?(?P<ref>#?[A-Z0-9][A-Z0-9/-]*\d[A-Z0-9/-]*)",
    re.IGNORECASE,
)


def dunning_level_auto_approval_refusal(*, level: DunningLevel, balance: Decimal) -> str:
    """Why the level itself keeps its notices in review ("" when it allows auto-approval):
    the final level never auto-approves, others only when marked so and within their
    balance limit."""
    if level.is_final:
        return f"level {level.level} is the final notice: always reviewed"
    if not level.auto_approvable:
        return f"level {level.level} does not allow auto-approval"
    limit = level.auto_approve_max_amount
    if limit is not None and balance > limit:
        return f"open balance {balance} exceeds level {level.level}'s auto-approval limit {limit}"
    return ""


def dunning_level_auto_approval_basis(level: DunningLevel) -> str:
    """The level's part of an auto-approval reason."""
    limit = level.auto_approve_max_amount
    return f"level {level.level} allows auto-approval up to {limit or 'any amount'}"


def _allowed_amounts(invoice: Invoice, fee: Decimal) -> set[Decimal]:
    amounts = {invoice.balance, invoice.total}
    if fee > ZERO:
        amounts |= {fee, invoice.balance + fee}
    return amounts


def _references(text: str) -> set[str]:
    refs = {match.group(0) for match in _NUMBERED.finditer(text)}
    refs |= {match.group("ref").rstrip("/-.") for match in _REFERENCED.finditer(text)}
    return refs


def dunning_text_discrepancies(
    *, invoice: Invoice, fee: Decimal, subject: str, body: str
) -> list[str]:
    """One flag per invoice number or amount in the notice that is not its invoice's:
    another invoice's number, or an amount other than the open balance, the total, the
    level's fee or the balance with the fee."""
    text = f"{subject}\n{body}"
    own = {invoice.number, f"#{invoice.pk}"} if invoice.number else {f"#{invoice.pk}"}
    flags = [
        f"names invoice {ref}, but the notice is for invoice {invoice.number or invoice.pk}"
        for ref in sorted(_references(text) - own)
    ]
    allowed = _allowed_amounts(invoice, fee)
    amounts = {
        amount
        for match in MONEY_RE.finditer(text)
        if (amount := parse_amount(match.group("a") or match.group("b"))) is not None
    }
    flags += [
        f"states the amount {amount}, which is not the invoice's balance {invoice.balance} "
        f"{invoice.currency}"
        for amount in sorted(amounts - allowed)
    ]
    return flags
