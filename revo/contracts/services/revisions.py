"""Revisions: a change to a contract, signed or not, is a new revision."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.services import record_creation, transition_apply
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import OPEN_CONTRACT_STATUSES, Contract, ContractLine
from revo.contracts.services.contracts import TOTAL_FIELDS, logger
from revo.contracts.services.pricing import line_amounts, pricing_policy_ensure
from revo.core.exceptions import Conflict
from revo.deals.lock_objects import deal_lock


def _totals_set(*, contract: Contract, lines: list[ContractLine]) -> None:
    """Totals of a revision from its (copied) lines, and whether the current policy
    needs an admin to approve them; the floor is checked again on submission."""
    gross = [
        line_amounts(quantity=ln.quantity, unit_price=ln.unit_price, discount_pct=Decimal(0))[0]
        for ln in lines
    ]
    contract.subtotal = sum(gross, Decimal("0.00"))
    contract.total = sum((ln.line_total for ln in lines), Decimal("0.00"))
    contract.discount_total = contract.subtotal - contract.total
    contract.max_line_discount_pct = max((ln.discount_pct for ln in lines), default=Decimal(0))
    contract.requires_admin_approval = (
        contract.max_line_discount_pct > pricing_policy_ensure().max_discount_pct_without_admin
    )


@transaction.atomic
def contract_revise(
    *,
    contract: Contract,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
) -> Contract:
    """A new draft revision (n + 1) with the same lines and terms, superseding
    ``contract``. The old revision is voided unless it is signed (a signed contract stays
    signed; the revision is its amendment) or already closed."""
    deal_lock(pk=contract.deal_id)  # serialises revision numbers per deal
    old = contract_lock(pk=contract.pk)
    successor = Contract.objects.filter(supersedes=old).values_list("revision", flat=True)
    if successor:
        raise Conflict(f"revision {old.revision} was already revised by revision {successor[0]}")
    last = Contract.objects.filter(deal_id=old.deal_id).aggregate(n=Max("revision"))["n"] or 0
    new = Contract.objects.create(
        deal_id=old.deal_id,
        revision=last + 1,
        supersedes=old,
        currency=old.currency,
        payment_terms_net_days=old.payment_terms_net_days,
        valid_until=old.valid_until
        if old.valid_until and old.valid_until >= timezone.localdate()
        else None,
        terms=old.terms,
        created_by=by,
        run_id=run_id,
    )
    copies = []
    for line in old.lines.order_by("position"):
        _, _, line_total = line_amounts(
            quantity=line.quantity, unit_price=line.unit_price, discount_pct=line.discount_pct
        )
        copies.append(
            ContractLine(
                contract=new,
                position=line.position,
                price_list_item_id=line.price_list_item_id,
                sku=line.sku,
                description=line.description,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                line_total=line_total,
            )
        )
    ContractLine.objects.bulk_create(copies)
    _totals_set(contract=new, lines=copies)
    new.save(update_fields=TOTAL_FIELDS)
    record_creation(
        instance=new, by=by, run_id=run_id, reason=reason or f"revision of r{old.revision}"
    )
    if old.status in OPEN_CONTRACT_STATUSES:
        transition_apply(
            instance=old,
            transition="void",
            by=by,
            run_id=run_id,
            reason=f"superseded by revision {new.revision}" + (f": {reason}" if reason else ""),
            update_fields=["closed_at"],
        )
    logger.info(
        "contract revised",
        extra={"event": "contract.revised", "contract": new.pk, "supersedes": old.pk},
    )
    return new
