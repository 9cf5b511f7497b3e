"""``generate()``: the one door from Revo's code to a language model.

It loads the tenant's active prompt version, checks the context against the declared
inputs, renders the messages with every untrusted input fenced as data, calls the backend
outside any transaction, parses and validates the JSON answer (schema + deterministic
validators), re-asks with the findings at most twice, scores a confidence, and logs one
``LLMCall`` row in its own short transaction, whatever happened.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from jsonschema import Draft202012Validator

from revo.core.context import bind
from revo.llm.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse
from revo.llm.confidence import confidence_score
from revo.llm.definitions import input_specs
from revo.llm.errors import LLMError, PromptError, TerminalLLMError
from revo.llm.models import LLMCall, LLMCallStatus, PromptTemplate
from revo.llm.rendering import (
    fallback_template_text,
    reask_message,
    render_system_message,
    render_user_message,
)
from revo.llm.selectors import prompt_active_get
from revo.llm.validators import Finding, OutputPolicy, run_validators

logger = logging.getLogger(__name__)

MAX_REASKS = 2
_CODE_FENCE = re.compile(r"^```(?:json)?\s*(?P<body>.*?)\s*```$", re.DOTALL)


class GenerateInTransactionError(TerminalLLMError):
    """``generate()`` was called inside an open transaction (it would hold it across a
    model call)."""


@dataclass(frozen=True)
class GenerationPolicy:
    """Per-call limits set by code. ``allowed_url_hosts`` and ``permitted_emails`` add to
    the ``LLM_URL_ALLOWLIST`` setting and to the context's ``allowed_url_hosts`` /
    ``recipient_email``; ``max_reasks`` is capped at 2."""

    max_reasks: int | None = None
    allowed_url_hosts: tuple[str, ...] = ()
    permitted_emails: tuple[str, ...] = ()
    backend: str | None = None


@dataclass(frozen=True)
class LLMResult:
    status: str  # ok | invalid (error raises)
    data: dict[str, Any] | None  # None unless status is ok: never half-parsed data
    raw_text: str
    prompt_key: str
    prompt_version: int
    prompt_sha256: str
    model: str
    backend: str
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: float
    attempts: int
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    confidence: float = 0.0
    llm_call_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == LLMCallStatus.OK

    @property
    def validators_passed(self) -> bool:
        return self.ok and not self.findings

    @property
    def is_template(self) -> bool:
        return self.backend == "template"


def _in_open_transaction() -> bool:
    # Blocks opened by the test framework around each test are not the caller's.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def output_policy_build(context: dict[str, Any], policy: GenerationPolicy) -> OutputPolicy:
    """What this answer may contain, from settings, the policy and trusted context keys
    (``pricing``, ``allowed_amounts``, ``recipient_email``, ``allowed_url_hosts``)."""
    hosts = {
        *(host.lower() for host in getattr(settings, "LLM_URL_ALLOWLIST", [])),
        *(host.lower() for host in policy.allowed_url_hosts),
        *(str(host).lower() for host in context.get("allowed_url_hosts") or []),
    }
    emails = {*policy.permitted_emails}
    if context.get("recipient_email"):
        emails.add(str(context["recipient_email"]))
    pricing = context.get("pricing") or {}
    list_prices = {
        str(name): Decimal(str(price)) for name, price in (pricing.get("list_prices") or {}).items()
    }
    allowed_amounts = {Decimal(str(item)) for item in context.get("allowed_amounts") or []}
    allowed_amounts.update(list_prices.values())
    return OutputPolicy(
        allowed_url_hosts=frozenset(hosts),
        permitted_emails=frozenset(email.lower() for email in emails),
        max_discount_pct=_decimal(pricing.get("max_discount_pct")) or Decimal(0),
        floor_price=_decimal(pricing.get("floor_price")),
        list_prices=list_prices,
        allowed_amounts=frozenset(allowed_amounts),
        has_pricing=bool(pricing),
    )


_schema_validators: dict[str, Draft202012Validator] = {}


def _schema_validator(prompt: PromptTemplate) -> Draft202012Validator:
    validator = _schema_validators.get(prompt.sha256)
    if validator is None:
        validator = Draft202012Validator(prompt.output_schema)
        _schema_validators[prompt.sha256] = validator
    return validator


class _RunPrompts(threading.local):
    """The active prompt versions one run has used, per thread: a run reads each prompt key
    once. Scoped to (tenant schema, run id): a version activated meanwhile is used from the
    next run on, and calls without a run id always read the active version."""

    def __init__(self) -> None:
        self.scope: tuple[str, uuid.UUID] | None = None
        self.prompts: dict[str, PromptTemplate] = {}


_run_prompts = _RunPrompts()


def _active_prompt(prompt_key: str, run_id: uuid.UUID | None) -> PromptTemplate:
    """The active version of ``prompt_key``: read once per run (no run: every call)."""
    if run_id is None:
        return prompt_active_get(prompt_key)
    scope = (connection.schema_name, run_id)
    cache = _run_prompts
    if cache.scope != scope:
        cache.scope = scope
        cache.prompts = {}
    prompt = cache.prompts.get(prompt_key)
    if prompt is None:
        prompt = prompt_active_get(prompt_key)
        cache.prompts[prompt_key] = prompt
    return prompt


_system_messages: dict[str, str] = {}


def _system_message(prompt: PromptTemplate) -> str:
    # Keyed by the definition's sha256: the same definition always gives the same message.
    message = _system_messages.get(prompt.sha256)
    if message is None:
        message = render_system_message(prompt.system_text, prompt.output_schema)
        _system_messages[prompt.sha256] = message
    return message


def parse_answer(
    content: str, prompt: PromptTemplate, policy: OutputPolicy
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The parsed answer and every finding against it (empty: it is valid)."""
    text = content.strip()
    fenced = _CODE_FENCE.match(text)
    if fenced:
        text = fenced.group("body")
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [Finding("json", "", f"the answer is not valid JSON ({exc})")]
    if not isinstance(data, dict):
        return None, [Finding("json", "", "the answer must be one JSON object")]
    findings = [
        Finding("schema", error.json_path.removeprefix("$").lstrip("."), error.message)
        for error in _schema_validator(prompt).iter_errors(data)
    ]
    findings.extend(run_validators(data, prompt.validators, policy))
    return data, findings


def _artifact_ref(artifact: models.Model | None) -> tuple[ContentType | None, str]:
    if artifact is None:
        return None, ""
    return ContentType.objects.get_for_model(artifact), str(artifact.pk)


def _sum(values: list[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _resolve_backend(policy: GenerationPolicy) -> Backend:
    from revo.llm.backends import get_backend

    return get_backend(policy.backend)


def generate(
    prompt_key: str,
    context: dict[str, Any],
    *,
    run_id: uuid.UUID | str | None = None,
    agent: str | None = None,
    artifact: models.Model | None = None,
    policy: GenerationPolicy | None = None,
    backend: Backend | None = None,
) -> LLMResult:
    """Generate one validated answer for ``prompt_key`` (see the module docstring).

    Raises ``PromptError`` (no active prompt, missing declared input: no call is made),
    ``GenerateInTransactionError``, or the backend's ``LLMError`` after logging the call
    (``RetryableLLMError`` subclasses are worth retrying later). An answer that stays
    invalid is returned with ``status="invalid"`` and ``data=None``."""
    if _in_open_transaction():
        raise GenerateInTransactionError(
            "generate() must not run inside a transaction: commit first, call, then write"
        )
    policy = policy or GenerationPolicy()
    run_uuid = uuid.UUID(str(run_id)) if run_id is not None else None
    prompt = _active_prompt(prompt_key, run_uuid)
    specs = input_specs(prompt.inputs)
    missing = [spec.name for spec in specs if spec.required and context.get(spec.name) is None]
    if missing:
        raise PromptError(f"prompt {prompt_key!r} needs context inputs {missing}; no call was made")
    untrusted = frozenset(spec.name for spec in specs if spec.untrusted)
    output_policy = output_policy_build(context, policy)
    backend = backend or _resolve_backend(policy)
    model = prompt.model or settings.LLM_MODEL
    configured = policy.max_reasks if policy.max_reasks is not None else settings.LLM_MAX_REASKS
    max_attempts = 1 + min(max(configured, 0), MAX_REASKS)
    messages = [
        ChatMessage("system", _system_message(prompt)),
        ChatMessage("user", render_user_message(prompt.user_template, context, untrusted)),
    ]
    fallback = fallback_template_text(prompt.fallback_template) if prompt.fallback_template else ""
    responses: list[ChatResponse] = []
    findings: list[Finding] = []
    data: dict[str, Any] | None = None
    started = time.perf_counter()
    with bind(run_id=run_uuid, agent=agent):
        try:
            while len(responses) < max_attempts:
                response = backend.chat(
                    ChatRequest(
                        messages=list(messages),
                        model=model,
                        json_schema=prompt.output_schema,
                        options=dict(prompt.options),
                        fallback_template=fallback,
                        context=context,
                        prompt_key=prompt.key,
                    )
                )
                responses.append(response)
                data, findings = parse_answer(response.content, prompt, output_policy)
                if not findings:
                    break
                messages += [
                    ChatMessage("assistant", response.content),
                    ChatMessage("user", reask_message([str(item) for item in findings])),
                ]
        except Exception as exc:
            call = _record(
                prompt=prompt,
                responses=responses,
                backend_name=getattr(exc, "backend", None) or getattr(backend, "name", ""),
                endpoint=getattr(exc, "endpoint", None) or "",
                model=model,
                latency_ms=(time.perf_counter() - started) * 1000,
                attempts=len(responses) + 1,
                status=LLMCallStatus.ERROR,
                error=f"{type(exc).__name__}: {exc}",
                findings=findings,
                confidence=None,
                run_id=run_uuid,
                agent=agent,
                artifact=artifact,
            )
            logger.warning(
                "llm call failed",
                extra={
                    "event": "llm.call_failed",
                    "prompt_key": prompt.key,
                    "llm_call_id": call.pk,
                    "error_class": type(exc).__name__,
                    "retryable": isinstance(exc, LLMError) and exc.retryable,
                },
            )
            raise
        latency_ms = (time.perf_counter() - started) * 1000
        last = responses[-1]
        valid = not findings
        confidence = confidence_score(
            valid=valid, reasks=len(responses) - 1, mean_logprob=last.mean_logprob
        )
        status = LLMCallStatus.OK if valid else LLMCallStatus.INVALID
        call = _record(
            prompt=prompt,
            responses=responses,
            backend_name=last.backend,
            endpoint=last.endpoint,
            model=last.model or model,
            latency_ms=latency_ms,
            attempts=len(responses),
            status=status,
            error="" if valid else "; ".join(str(item) for item in findings)[:2000],
            findings=findings,
            confidence=confidence,
            run_id=run_uuid,
            agent=agent,
            artifact=artifact,
        )
    return LLMResult(
        status=status,
        data=data if valid else None,
        raw_text=last.content,
        prompt_key=prompt.key,
        prompt_version=prompt.version,
        prompt_sha256=prompt.sha256,
        model=last.model or model,
        backend=last.backend,
        tokens_in=call.prompt_tokens,
        tokens_out=call.completion_tokens,
        latency_ms=latency_ms,
        attempts=len(responses),
        findings=tuple(findings),
        confidence=confidence,
        llm_call_id=call.pk,
    )


def _record(
    *,
    prompt: PromptTemplate,
    responses: list[ChatResponse],
    backend_name: str,
    endpoint: str,
    model: str,
    latency_ms: float,
    attempts: int,
    status: str,
    error: str,
    findings: list[Finding],
    confidence: float | None,
    run_id: uuid.UUID | None,
    agent: str | None,
    artifact: models.Model | None,
) -> LLMCall:
    content_type, object_id = _artifact_ref(artifact)
    # generate() never runs inside a transaction, so in autocommit this single INSERT is
    # its own short transaction: the log row survives whatever the caller does next.
    return LLMCall.objects.create(
        prompt_key=prompt.key,
        prompt_version=prompt.version,
        prompt_sha256=prompt.sha256,
        model=model,
        backend=backend_name,
        endpoint=endpoint,
        latency_ms=latency_ms,
        prompt_tokens=_sum([item.prompt_tokens for item in responses]),
        completion_tokens=_sum([item.completion_tokens for item in responses]),
        attempts=attempts,
        status=status,
        error=error,
        findings=[item.as_dict() for item in findings],
        confidence=confidence,
        run_id=run_id,
        agent=agent or "",
        artifact_content_type=content_type,
        artifact_object_id=object_id,
    )
