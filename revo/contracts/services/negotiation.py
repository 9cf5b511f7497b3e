"""Negotiation rounds: our offers and the customer's counter-offers on a contract."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from revo.accounts.models import User
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import (
    OPEN_CONTRACT_STATUSES,
    Contract,
    NegotiationParty,
    NegotiationRound,
)
from revo.contracts.services.pricing import _money, _percent, pricing_policy_ensure
from revo.core.exceptions import Conflict, InvalidInput
from revo.deals.history import change_record


@transaction.atomic
def negotiation_round_record(
    *,
    contract: Contract,
    party: str,
    offered_price: Decimal | str,
    discount_pct: Decimal | str = Decimal("0"),
    terms: str = "",
    notes: str = "",
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> NegotiationRound:
    """Record one offer on an open contract. Rounds are numbered 1, 2, 3 … per contract
    under the contract's row lock, so concurrent recorders never leave a gap or collide.
    The author is a person (``by``) or an agent run (``run_id``), exactly one. Our own
    offers may not go beyond the pricing policy's floor; a customer may ask for anything."""
    if (by is None) == (run_id is None):
        raise InvalidInput("a negotiation round has exactly one author: a user or an agent run")
    try:
        party = NegotiationParty(party)
    except ValueError:
        raise InvalidInput(
            f"unknown party {party!r}", details={"allowed": NegotiationParty.values}
        ) from None
    price = _money(offered_price, name="offered_price")
    pct = _percent(discount_pct, name="discount_pct")
    contract = contract_lock(pk=contract.pk)
    if contract.status not in OPEN_CONTRACT_STATUSES:
        raise Conflict(f"contract is {contract.status}; negotiation is closed")
    if party == NegotiationParty.US:
        floor = pricing_policy_ensure().hard_floor_discount_pct
        if pct > floor:
            raise InvalidInput(
                f"we cannot offer {pct}% off: the pricing policy's floor is {floor}%"
            )
    last = contract.negotiation_rounds.aggregate(n=Max("number"))["n"] or 0
    negotiation_round = NegotiationRound.objects.create(
        contract=contract,
        number=last + 1,
        party=party,
        offered_price=price,
        currency=contract.currency,
        discount_pct=pct,
        terms=terms or "",
        notes=notes or "",
        author_user=by,
        author_run_id=run_id,
    )
    change_record(
        instance=contract,
        field="status",
        transition="negotiation_round",
        changes={
            "round": (None, negotiation_round.number),
            "party": (None, str(party)),
            "offered_price": (None, str(price)),
            "discount_pct": (None, str(pct)),
        },
        by=by,
        run_id=run_id,
        reason=notes,
    )
    return negotiation_round
