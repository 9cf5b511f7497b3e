"""Bring contracts into each state through the services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from revo.accounts.models import User
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import (
    contract_decline,
    contract_review_decide,
    contract_send,
    contract_sign,
    contract_submit,
    contract_void,
)
from tests.contracts.factories import ContractFactory


def contract_in(status: str, *, reviewer: User, **kwargs: object) -> Contract:
    """A contract in ``status``; ``reviewer`` approves it where the path needs that. An
    expired contract is made by sending one valid until today and moving its date back."""
    contract = ContractFactory(**kwargs)
    if status == ContractStatus.DRAFT:
        return contract
    if status == ContractStatus.VOID:
        return contract_void(contract=contract, reason="not needed")
    contract = contract_submit(contract=contract)
    if status == ContractStatus.PENDING_REVIEW:
        return contract
    contract = contract_review_decide(contract=contract, decision="approve", by=reviewer).artifact
    if status == ContractStatus.APPROVED:
        return Contract.objects.get(pk=contract.pk)
    contract = contract_send(contract=contract)
    if status == ContractStatus.SENT:
        return contract
    if status == ContractStatus.SIGNED:
        return contract_sign(contract=contract)
    if status == ContractStatus.DECLINED:
        return contract_decline(contract=contract, reason="too expensive")
    if status == ContractStatus.EXPIRED:
        return expire_now(contract)
    raise ValueError(status)


def make_past_due(contract: Contract) -> Contract:
    """Pretend the contract's validity ended yesterday (dates cannot be set in the past
    through the services)."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Contract.objects.filter(pk=contract.pk).update(valid_until=yesterday)
    return Contract.objects.get(pk=contract.pk)


def expire_now(contract: Contract) -> Contract:
    from revo.contracts.services import contract_expire

    return contract_expire(contract=make_past_due(contract))
