"""Writes of the LLM layer: prompt versions, activation (and rollback), shipped-prompt
seeding, the call log and auto-approval rules. ``generate`` (the one door to a model) lives
in ``revo.llm.generate`` and is re-exported here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from revo.accounts.models import User
from revo.llm.definitions import (
    PromptDefinition,
    definition_sha256,
    definition_validate,
    shipped_definitions,
)
from revo.llm.generate import GenerationPolicy, LLMResult, generate
from revo.llm.models import AutoApprovalRule, PromptSource, PromptTemplate

__all__ = [
    "GenerationPolicy",
    "LLMResult",
    "SeedReport",
    "auto_approval_rule_save",
    "generate",
    "prompt_activate",
    "prompt_version_create",
    "prompt_version_revise",
    "prompts_seed",
]

logger = logging.getLogger(__name__)

CONTENT_FIELDS = (
    "system_text",
    "user_template",
    "output_schema",
    "inputs",
    "model",
    "options",
    "fallback_template",
    "validators",
)


def _lock_key(key: str) -> list[PromptTemplate]:
    """Lock every version of ``key`` (creation and activation of one key are serialised,
    even before its first version exists: hence the advisory lock on the key's hash)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"llm.prompt:{key}"])
    return list(PromptTemplate.objects.select_for_update().filter(key=key).order_by("version"))


@transaction.atomic
def prompt_version_create(
    *,
    key: str,
    system_text: str,
    user_template: str,
    output_schema: dict[str, Any],
    inputs: list[dict[str, Any]],
    model: str = "",
    options: dict[str, Any] | None = None,
    fallback_template: dict[str, Any] | None = None,
    validators: dict[str, Any] | None = None,
    author: User | None = None,
    source: str = PromptSource.USER,
    note: str = "",
    activate: bool = False,
) -> PromptTemplate:
    """Add the next version of a prompt. Versions are never edited; this is how a prompt
    changes. With ``activate`` (or when it is the key's first version) it becomes active."""
    fields = {
        "key": key,
        "system_text": system_text,
        "user_template": user_template,
        "output_schema": output_schema,
        "inputs": inputs,
        "model": model or "",
        "options": options or {},
        "fallback_template": fallback_template or {},
        "validators": validators or {},
    }
    definition_validate(fields)
    if source not in PromptSource.values:
        raise ValidationError({"source": f"unknown source {source!r}"})
    existing = _lock_key(key)
    version = (existing[-1].version if existing else 0) + 1
    prompt = PromptTemplate.objects.create(
        **fields,
        version=version,
        author=author,
        source=source,
        note=note,
        sha256=definition_sha256(fields),
        is_active=False,
    )
    logger.info(
        "prompt version created",
        extra={
            "event": "llm.prompt_version_created",
            "prompt_key": key,
            "version": version,
            "source": source,
            "by": getattr(author, "pk", None),
        },
    )
    if activate or not existing:
        prompt = prompt_activate(prompt=prompt, by=author)
    return prompt


@transaction.atomic
def prompt_version_revise(
    *,
    base: PromptTemplate,
    changes: dict[str, Any],
    author: User | None = None,
    note: str = "",
    activate: bool = True,
) -> PromptTemplate:
    """A tenant's edit: a new version that is ``base`` with ``changes`` applied."""
    unknown = set(changes) - set(CONTENT_FIELDS)
    if unknown:
        raise ValidationError({"changes": f"cannot change {sorted(unknown)}"})
    fields = {name: changes.get(name, getattr(base, name)) for name in CONTENT_FIELDS}
    return prompt_version_create(
        key=base.key,
        **fields,
        author=author,
        source=PromptSource.USER,
        note=note,
        activate=activate,
    )


@transaction.atomic
def prompt_activate(*, prompt: PromptTemplate, by: User | None = None) -> PromptTemplate:
    """Make ``prompt`` the active version of its key; activating an older version is the
    rollback. Exactly one version stays active (also a partial unique constraint)."""
    versions = _lock_key(prompt.key)
    target = next((item for item in versions if item.pk == prompt.pk), None)
    if target is None:
        raise ValidationError({"prompt": f"{prompt} does not exist"})
    previous = next((item for item in versions if item.is_active), None)
    if previous is not None and previous.pk == target.pk:
        return target
    # Deactivate first: the one-active-per-key constraint is checked per statement.
    PromptTemplate.objects.filter(key=prompt.key, is_active=True).update(is_active=False)
    PromptTemplate.objects.filter(pk=target.pk).update(is_active=True)
    target.refresh_from_db()
    logger.info(
        "prompt version activated",
        extra={
            "event": "llm.prompt_activated",
            "prompt_key": target.key,
            "version": target.version,
            "previous_version": getattr(previous, "version", None),
            "by": getattr(by, "pk", None),
        },
    )
    return target


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_tenant_edits: list[str] = field(default_factory=list)


def _seed_one(definition: PromptDefinition, report: SeedReport) -> None:
    versions = _lock_key(definition.key)
    sha = definition.sha256
    fields = {name: value for name, value in definition.as_fields().items() if name != "key"}
    if not versions:
        prompt_version_create(
            key=definition.key,
            **fields,
            source=PromptSource.SHIPPED,
            note="shipped default",
            activate=True,
        )
        report.created.append(definition.key)
        return
    if any(item.sha256 == sha for item in versions):
        report.unchanged.append(definition.key)
        return
    if any(item.source == PromptSource.USER for item in versions):
        report.kept_tenant_edits.append(definition.key)
        return
    latest_shipped = versions[-1]
    prompt_version_create(
        key=definition.key,
        **fields,
        source=PromptSource.SHIPPED,
        note="shipped default updated",
        activate=latest_shipped.is_active,
    )
    report.updated.append(definition.key)


@transaction.atomic
def prompts_seed() -> SeedReport:
    """Bring the current tenant's prompts up to the shipped defaults without touching its
    edits. Per key:

    * no version yet → the shipped file becomes version 1, active;
    * some version already has the file's sha256 → nothing to do;
    * the tenant ever created its own version of the key → nothing changes (its edits win;
      it can still copy the new default by hand);
    * otherwise (only shipped versions) the file becomes a new version, activated only if
      the latest shipped version was the active one (a tenant's rollback is respected).
    """
    report = SeedReport()
    for definition in shipped_definitions():
        _seed_one(definition, report)
    logger.info(
        "prompts seeded",
        extra={
            "event": "llm.prompts_seeded",
            "prompts_created": len(report.created),
            "prompts_updated": len(report.updated),
            "kept_tenant_edits": len(report.kept_tenant_edits),
        },
    )
    return report


def prompts_seed_step() -> None:
    """Tenant setup step (``REVO_TENANT_SETUP_STEPS``): seed the shipped prompts."""
    prompts_seed()


@transaction.atomic
def auto_approval_rule_save(
    *,
    action_type: str,
    min_confidence: Decimal,
    enabled: bool,
    max_amount: Decimal | None = None,
    currency: str = "",
    sample_rate: Decimal = Decimal(0),
) -> AutoApprovalRule:
    """Create or replace the tenant's rule for one action type."""
    action_type = action_type.strip()
    errors: dict[str, str] = {}
    if not action_type:
        errors["action_type"] = "must not be empty"
    if action_type.startswith("contract") and enabled:
        errors["enabled"] = "contracts always go to review; a contract rule cannot be enabled"
    if not Decimal(0) <= min_confidence <= Decimal(1):
        errors["min_confidence"] = "must be between 0 and 1"
    if not Decimal(0) <= sample_rate <= Decimal(1):
        errors["sample_rate"] = "must be between 0 and 1"
    if max_amount is not None and max_amount < 0:
        errors["max_amount"] = "must not be negative"
    if errors:
        raise ValidationError(errors)
    rule, _ = AutoApprovalRule.objects.update_or_create(
        action_type=action_type,
        defaults={
            "min_confidence": min_confidence,
            "enabled": enabled,
            "max_amount": max_amount,
            "currency": currency,
            "sample_rate": sample_rate,
        },
    )
    logger.info(
        "auto-approval rule saved",
        extra={
            "event": "llm.auto_approval_rule_saved",
            "action_type": action_type,
            "enabled": enabled,
        },
    )
    return rule
