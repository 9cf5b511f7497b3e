"""What a prompt is, independent of where it is stored: its definition, the checks every
definition must pass, its sha256, and the shipped defaults in ``revo/llm/prompts/``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from revo.llm.backends.template import template_engine as fallback_engine
from revo.llm.rendering import fallback_template_text, template_engine

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"

# Keys a ``validators`` mapping may hold (see ``revo.llm.validators``).
VALIDATOR_KEYS = frozenset(
    {
        "required",
        "max_length",
        "price_fields",
        "discount_fields",
        "email_fields",
        "url_fields",
        "date_fields",
        "scan_fields",
    }
)
DEFINITION_FIELDS = (
    "key",
    "system_text",
    "user_template",
    "output_schema",
    "inputs",
    "model",
    "options",
    "fallback_template",
    "validators",
)


@dataclass(frozen=True)
class InputSpec:
    name: str
    untrusted: bool = False
    required: bool = True


@dataclass(frozen=True)
class PromptDefinition:
    key: str
    system_text: str
    user_template: str
    output_schema: dict[str, Any]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    fallback_template: dict[str, Any] | str = field(default_factory=dict)
    validators: dict[str, Any] = field(default_factory=dict)
    example_context: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def as_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DEFINITION_FIELDS}

    @property
    def sha256(self) -> str:
        return definition_sha256(self.as_fields())

    @property
    def input_specs(self) -> list[InputSpec]:
        return input_specs(self.inputs)


def input_specs(inputs: list[dict[str, Any]]) -> list[InputSpec]:
    return [
        InputSpec(
            name=item["name"],
            untrusted=bool(item.get("untrusted", False)),
            required=bool(item.get("required", True)),
        )
        for item in inputs
    ]


def definition_sha256(fields: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a definition (sorted keys, no whitespace): the same
    prompt gives the same hash wherever it is stored."""
    canonical = json.dumps(
        {name: fields.get(name) for name in DEFINITION_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def definition_validate(fields: dict[str, Any]) -> None:
    """Raise ``ValidationError`` (per field) unless the definition can be used as is."""
    errors: dict[str, list[str]] = {}
    key = fields.get("key") or ""
    if not key or len(key) > 100 or key.strip() != key:
        errors.setdefault("key", []).append("key must be a non-empty name such as sdr.score_lead")
    for text_field in ("system_text", "user_template"):
        if not (fields.get(text_field) or "").strip():
            errors.setdefault(text_field, []).append("must not be empty")
    try:
        template_engine().from_string(fields.get("user_template") or "")
    except TemplateSyntaxError as exc:
        errors.setdefault("user_template", []).append(f"template syntax error: {exc}")
    schema = fields.get("output_schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        errors.setdefault("output_schema", []).append('must be a JSON schema of "type": "object"')
    else:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            errors.setdefault("output_schema", []).append(f"invalid JSON schema: {exc.message}")
    errors.update(_inputs_errors(fields.get("inputs")))
    for name in ("options", "validators"):
        if not isinstance(fields.get(name) or {}, dict):
            errors.setdefault(name, []).append("must be a JSON object")
    fallback = fields.get("fallback_template") or {}
    if not isinstance(fallback, dict | str):
        errors.setdefault("fallback_template", []).append(
            "must be a JSON object of templates, or one template that renders to JSON"
        )
    else:
        try:
            fallback_engine().from_string(fallback_template_text(fallback))
        except TemplateSyntaxError as exc:
            errors.setdefault("fallback_template", []).append(f"template syntax error: {exc}")
    unknown = set(fields.get("validators") or {}) - VALIDATOR_KEYS
    if unknown:
        errors.setdefault("validators", []).append(
            f"unknown validator keys {sorted(unknown)}; allowed: {sorted(VALIDATOR_KEYS)}"
        )
    if errors:
        raise ValidationError(errors)


def _inputs_errors(inputs: Any) -> dict[str, list[str]]:
    if not isinstance(inputs, list):
        return {"inputs": ['must be a list of {"name": ..., "untrusted": bool}']}
    problems: list[str] = []
    seen: set[str] = set()
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            problems.append(f"{item!r} is not an input declaration with a name")
            continue
        if not item["name"].isidentifier():
            problems.append(f"input name {item['name']!r} must be an identifier")
        if item["name"] in seen:
            problems.append(f"input {item['name']!r} is declared twice")
        seen.add(item["name"])
        extra = set(item) - {"name", "untrusted", "required", "description"}
        if extra:
            problems.append(f"input {item['name']!r} has unknown keys {sorted(extra)}")
    return {"inputs": problems} if problems else {}


def definition_from_mapping(data: dict[str, Any], *, origin: str) -> PromptDefinition:
    try:
        definition = PromptDefinition(
            key=data["key"],
            system_text=data["system"],
            user_template=data["user_template"],
            output_schema=data["output_schema"],
            inputs=list(data.get("inputs") or []),
            model=data.get("model") or "",
            options=dict(data.get("options") or {}),
            fallback_template=data.get("fallback_template") or {},
            validators=dict(data.get("validators") or {}),
            example_context=dict(data.get("example_context") or {}),
            description=data.get("description") or "",
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{origin}: missing or malformed field {exc}") from None
    try:
        definition_validate(definition.as_fields())
    except ValidationError as exc:
        raise ValueError(f"{origin}: {exc.message_dict}") from None
    return definition


@lru_cache(maxsize=1)
def shipped_definitions() -> tuple[PromptDefinition, ...]:
    """Every shipped default prompt, one YAML file per key, sorted by key."""
    definitions = []
    for path in sorted(PROMPTS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        definition = definition_from_mapping(data, origin=path.name)
        if path.stem != definition.key:
            raise ValueError(f"{path.name}: file name must be the key {definition.key!r}")
        definitions.append(definition)
    return tuple(sorted(definitions, key=lambda item: item.key))


def shipped_definition(key: str) -> PromptDefinition:
    for definition in shipped_definitions():
        if definition.key == key:
            return definition
    raise KeyError(key)
