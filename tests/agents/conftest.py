from __future__ import annotations

from collections.abc import Iterator

import pytest

from revo.agents import base
from revo.llm.errors import LLMConnectionError


class ScriptedAgent(base.BaseAgent):
    """An agent over a scripted list of item ids (``options["items"]``): "boom" fails with a
    bug, "refused" with a domain error, "down" with a retryable model-server error, "done"
    is skipped as already processed."""

    name = "scripted"
    item_type = "item"
    processed: list[str] = []  # noqa: RUF012 - shared on purpose, reset by the fixture
    default_items: list[str] = []  # noqa: RUF012 - items when the run's options name none

    def select(self, context: base.AgentContext) -> list[str]:
        return list(context.options.get("items", type(self).default_items))

    def process(self, item_id: str, context: base.AgentContext) -> base.ItemResult:
        from revo.core.exceptions import InvalidInput

        if item_id == "boom":
            raise ValueError("a bug in one item")
        if item_id == "refused":
            raise InvalidInput("this item is not valid")
        if item_id == "down":
            raise LLMConnectionError("connection refused", endpoint="http://127.0.0.1:1")
        if item_id == "done":
            return base.ItemResult.skipped("already processed")
        type(self).processed.append(item_id)
        return base.ItemResult.processed(artifacts=1)


@pytest.fixture
def scripted_agent() -> Iterator[type[ScriptedAgent]]:
    ScriptedAgent.processed = []
    ScriptedAgent.default_items = []
    base.register(ScriptedAgent)
    yield ScriptedAgent
    base.unregister(ScriptedAgent.name)
