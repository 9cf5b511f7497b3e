from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from revo.agents import base
from revo.llm.errors import LLMConnectionError
from tests.agents.helpers import ScriptedModel


class ScriptedAgent(base.BaseAgent):
    """An agent over a scripted list of item ids (``options["items"]``): "boom" fails with a
    bug, "refused" with a domain error, "down" with a retryable model-server error, "done"
    is skipped as already processed, "overrun…" meets the task's soft time limit the first
    time it is processed."""

    name = "scripted"
    item_type = "item"
    processed: list[str] = []  # noqa: RUF012 - shared on purpose, reset by the fixture
    default_items: list[str] = []  # noqa: RUF012 - items when the run's options name none
    overran: set[str] = set()  # noqa: RUF012 - "overrun" items that hit the soft time limit

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
        if item_id.startswith("overrun") and item_id not in type(self).overran:
            type(self).overran.add(item_id)  # the task's soft time limit, once
            raise SoftTimeLimitExceeded
        type(self).processed.append(item_id)
        return base.ItemResult.processed(artifacts=1)


@pytest.fixture
def scripted_agent() -> Iterator[type[ScriptedAgent]]:
    ScriptedAgent.processed = []
    ScriptedAgent.default_items = []
    ScriptedAgent.overran = set()
    base.register(ScriptedAgent)
    yield ScriptedAgent
    base.unregister(ScriptedAgent.name)


@pytest.fixture
def fake_model(settings) -> Iterator[ScriptedModel]:  # noqa: ANN001
    """The fake Ollama server over real HTTP, answering by prompt (``ScriptedModel``), with
    the LLM settings pointing at it."""
    from revo.llm.backends import reset_backends
    from tests.fakes.ollama import fake_ollama_server

    with fake_ollama_server() as fake:
        model = ScriptedModel()
        fake.chat_content = model
        settings.LLM_BACKEND = "ollama"
        settings.OLLAMA_URL = fake.url
        settings.LLM_READ_TIMEOUT = 5.0
        settings.LLM_MAX_RETRIES = 0
        settings.LLM_BACKOFF_BASE = 0.01
        reset_backends()
        model.server = fake
        yield model
    reset_backends()


@pytest.fixture
def template_model(settings) -> Iterator[None]:  # noqa: ANN001
    from revo.llm.backends import reset_backends

    settings.LLM_BACKEND = "template"
    reset_backends()
    yield
    reset_backends()


@pytest.fixture
def agent_world(tenant):  # noqa: ANN001, ANN201
    from tests.agents.helpers import reference_data

    return reference_data()
