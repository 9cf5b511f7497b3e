"""Per-request / per-task context carried into every log line (contextvars, so it follows
threads and async tasks correctly)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_var: ContextVar[str | None] = ContextVar("tenant", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
run_id_var: ContextVar[str | None] = ContextVar("run_id", default=None)
agent_var: ContextVar[str | None] = ContextVar("agent", default=None)

_VARS = {
    "request_id": request_id_var,
    "tenant": tenant_var,
    "user_id": user_id_var,
    "run_id": run_id_var,
    "agent": agent_var,
}


def current() -> dict[str, str | None]:
    return {name: var.get() for name, var in _VARS.items()}


@contextlib.contextmanager
def bind(**values: Any) -> Iterator[None]:
    """Bind context values for the duration of a block; restores the previous ones after."""
    tokens = []
    for name, value in values.items():
        var = _VARS[name]
        tokens.append((var, var.set(None if value is None else str(value))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
