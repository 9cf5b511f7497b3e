"""What the agents share: the tenant's agent settings, turning a model answer into
artifact data (or a clear failure), flags for a reviewer, and the auto-approval gate."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection

from revo.agents.models import AgentSettings
from revo.core.exceptions import InvalidInput
from revo.llm.approval import AutoApprovalDecision, auto_approval_decide
from revo.llm.generate import LLMResult
from revo.llm.models import AutoApprovalRule
from revo.reviews.models import ReviewableArtifact
from revo.reviews.services import review_auto_approve

#: Phrases in untrusted text (lead notes, replies, customer messages) that try to steer the
#: model. An artifact drafted from such input is flagged and never auto-approved, whatever
#: the validators said about the answer.
_INJECTION_PATTERNS = (
    re.compile(r"\b(ignore|disregard|forget)\b.{0,40}\b(instruction|prompt|rule)s?\b", re.I | re.S),
    re.compile(r"\b(system prompt|developer mode|admin mode|jailbreak)\b", re.I),
    re.compile(r"\byou are now\b", re.I),
    re.compile(r"\b(new|updated) instructions?\b", re.I),
    re.compile(r"\b(approve|auto-?approve)\b.{0,30}\b(this|automatically|immediately)\b", re.I),
    re.compile(r"\b\d{2,3}\s?%\s*(discount|off)\b", re.I),
    re.compile(r"\b(?:https?://|www\.)\S+", re.I),
)

_CODE_FENCE = re.compile(r"^```(?:json)?\s*(?P<body>.*?)\s*```$", re.DOTALL)


def agent_settings() -> AgentSettings:
    """The tenant's agent settings (unsaved defaults when none were stored)."""
    return AgentSettings.objects.filter(singleton=True).first() or AgentSettings()


def tenant_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "name", "") or ""


def tenant_currency() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "default_currency", "") or "EUR"


def sales_sender(settings: AgentSettings) -> dict[str, str]:
    return {
        "name": settings.sender_name,
        "title": settings.sender_title,
        "company": settings.sender_company or tenant_name(),
    }


def finance_sender(settings: AgentSettings) -> dict[str, str]:
    return {
        "name": settings.finance_sender_name,
        "title": settings.finance_sender_title,
        "company": settings.sender_company or tenant_name(),
    }


def injection_flags(**texts: str) -> list[str]:
    """One flag per untrusted input that reads like an attempt to steer the model."""
    flags = []
    for name, text in texts.items():
        if text and any(pattern.search(text) for pattern in _INJECTION_PATTERNS):
            flags.append(f"{name} contains instructions or links aimed at the model")
    return flags


def finding_flags(result: LLMResult) -> list[str]:
    return [f"validator: {finding}" for finding in result.findings]


def _parse_raw(raw: str) -> dict[str, Any] | None:
    text = (raw or "").strip()
    fenced = _CODE_FENCE.match(text)
    if fenced:
        text = fenced.group("body")
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _refuse(result: LLMResult, missing: list[str]) -> InvalidInput:
    return InvalidInput(
        f"the model's answer to {result.prompt_key} is unusable: "
        + "; ".join(str(finding) for finding in result.findings)[:250],
        details={
            "findings": [finding.as_dict() for finding in result.findings],
            "missing": missing,
            "llm_call_id": result.llm_call_id,
        },
    )


def valid_data(result: LLMResult) -> dict[str, Any]:
    """The data of an answer that passed every validator; anything else fails the item."""
    if not result.validators_passed or result.data is None:
        raise _refuse(result, [])
    return result.data


def answer_data(result: LLMResult, *, required: Iterable[str]) -> dict[str, Any]:
    """The answer's data. A valid answer is used as is. An answer the validators refused
    is still used (for a flagged artifact that a person must review) when it is a JSON
    object whose required text fields are present; anything else fails the item with the
    validator findings."""
    if result.ok and result.data is not None:
        return result.data
    data = _parse_raw(result.raw_text)
    missing = [
        name
        for name in required
        if data is None or not isinstance(data.get(name), str) or not data[name].strip()
    ]
    if data is None or missing:
        raise _refuse(result, missing)
    return data


def confidence_of(result: LLMResult) -> Decimal:
    return Decimal(str(round(result.confidence, 3)))


def llm_fields(result: LLMResult) -> dict[str, Any]:
    return {
        "confidence": confidence_of(result),
        "llm_backend": result.backend,
        "llm_model": result.model[:100],
    }


class _RunRules(threading.local):
    """Whether an enabled auto-approval rule exists per action type, read once per run (per
    thread, scoped to the tenant schema and run id): a rule enabled meanwhile counts from
    the next run on. Without a run id every call reads it."""

    def __init__(self) -> None:
        self.scope: tuple[str, str] | None = None
        self.enabled: dict[str, bool] = {}


_run_rules = _RunRules()


def _rule_enabled(action_type: str, run_id: Any) -> bool:
    def read() -> bool:
        return AutoApprovalRule.objects.filter(action_type=action_type, enabled=True).exists()

    if run_id is None:
        return read()
    scope = (connection.schema_name, str(run_id))
    if _run_rules.scope != scope:
        _run_rules.scope = scope
        _run_rules.enabled = {}
    if action_type not in _run_rules.enabled:
        _run_rules.enabled[action_type] = read()
    return _run_rules.enabled[action_type]


def auto_approval_apply(
    *,
    artifact: ReviewableArtifact,
    action_type: str,
    result: LLMResult,
    flags: list[str],
    run_id: Any,
    amount: Decimal | None = None,
    currency: str | None = None,
    basis: str = "",
) -> AutoApprovalDecision:
    """Approve ``artifact`` by the tenant's rules when it has no flags, the validators
    passed and the rule for ``action_type`` agrees (confidence, amount, sampling). Runs
    inside the caller's write transaction. ``basis`` names what else allowed it (e.g. the
    dunning level's policy) and is recorded with the rule's reason. The decision's reason
    says why an artifact went to review instead."""
    if flags:
        return AutoApprovalDecision(False, "flagged for review")
    if not result.validators_passed:
        return AutoApprovalDecision(False, "validators did not pass")
    if not action_type.startswith("contract") and not _rule_enabled(action_type, run_id):
        return AutoApprovalDecision(False, f"no enabled auto-approval rule for {action_type}")
    decision = auto_approval_decide(
        action_type=action_type,
        confidence=result.confidence,
        amount=amount,
        currency=currency,
        validators_passed=result.validators_passed,
    )
    if not decision.auto_approve:
        return decision
    reason = f"{decision.reason}; {basis}" if basis else decision.reason
    review_auto_approve(artifact=artifact, run_id=run_id, reason=reason)
    return decision
