"""Writes of the contracts app (pricing, contracts, negotiation), re-exported here so
callers import from ``revo.contracts.services``."""

from revo.contracts.services.contracts import (
    contract_create,
    contract_decline,
    contract_expire,
    contract_lines_set,
    contract_on_approved,
    contract_on_rejected,
    contract_review_decide,
    contract_send,
    contract_sign,
    contract_submit,
    contract_update,
    contract_void,
    contracts_expire_due,
)
from revo.contracts.services.negotiation import negotiation_round_record
from revo.contracts.services.pricing import (
    LineInput,
    line_amounts,
    lines_price,
    price_list_item_create,
    price_list_item_update,
    pricing_policy_ensure,
    pricing_policy_update,
)
from revo.contracts.services.revisions import contract_revise

__all__ = [
    "LineInput",
    "contract_create",
    "contract_decline",
    "contract_expire",
    "contract_lines_set",
    "contract_on_approved",
    "contract_on_rejected",
    "contract_review_decide",
    "contract_revise",
    "contract_send",
    "contract_sign",
    "contract_submit",
    "contract_update",
    "contract_void",
    "contracts_expire_due",
    "line_amounts",
    "lines_price",
    "negotiation_round_record",
    "price_list_item_create",
    "price_list_item_update",
    "pricing_policy_ensure",
    "pricing_policy_update",
]
