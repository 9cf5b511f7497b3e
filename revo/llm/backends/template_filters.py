"""Filters available in every fallback template (built into the template backend's engine).

Fallback templates of prompts with an output schema are JSON documents. A value dropped into
them must not break the JSON: write ``{{ value|json }}`` for a whole JSON value (string,
number, list, object, ``null``) and ``{{ value|escapejs }}`` (Django's) inside a string."""

from __future__ import annotations

import json as _json
from typing import Any

from django import template

register = template.Library()


@register.filter(name="json")
def json_literal(value: Any) -> str:
    return _json.dumps(value, ensure_ascii=False, default=str)
