"""The agent contract: ``BaseAgent.run(context) -> AgentResult`` and a registry by name.

An agent selects its eligible items (a selector) and processes each in short transactions
of its own; the LLM call happens outside every transaction and row lock. Processing is
idempotent: ``process`` re-checks, under a row lock, that the item is still eligible and
returns ``skipped`` when an earlier attempt already did the work. One failing item never
fails the others: its error is recorded and the run goes on. Only a retryable
infrastructure error (the model server is down) stops the run so it can be retried as a
whole; the items done so far are skipped on the retry.
"""

from __future__ import annotations

import logging
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from revo.agents.parallel import process_concurrently
from revo.core import context as log_context
from revo.core.exceptions import DomainError
from revo.llm.errors import RetryableLLMError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemResult:
    outcome: str  # "processed" | "skipped" | "failed"
    detail: str = ""
    artifacts: int = 0
    auto_approved: int = 0
    error: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def processed(cls, detail: str = "", *, artifacts: int = 0, auto_approved: int = 0):  # noqa: ANN206
        return cls("processed", detail, artifacts, auto_approved)

    @classmethod
    def skipped(cls, detail: str = ""):  # noqa: ANN206
        return cls("skipped", detail)


ProgressCallback = Callable[[Any, str, str, "ItemResult"], None]


@dataclass
class AgentContext:
    """What an agent run knows: its run row (for ids and counters), the time it started
    and the caller's options."""

    run: Any  # revo.agents.models.AgentRun
    now: datetime = field(default_factory=timezone.now)
    limit: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Called after each item with the result; the runner uses it for counters/heartbeats.
    on_item: Callable[[str, str, ItemResult], None] | None = None
    should_stop: Callable[[], bool] | None = None
    # Items this attempt of the run already recorded (an earlier time slice): not again.
    done: frozenset[str] = frozenset()
    # Items processed at once by threads of this process (1: one after the other).
    concurrency: int = 1
    # Called once the items are selected, with how many this attempt processes in all.
    on_selected: Callable[[int], None] | None = None

    @property
    def run_id(self) -> Any:
        return self.run.run_id if self.run is not None else None


@dataclass
class AgentResult:
    agent: str
    seen: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    artifacts_created: int = 0
    auto_approved: int = 0
    stopped: bool = False
    duration_s: float = 0.0

    def add(self, result: ItemResult) -> None:
        self.seen += 1
        if result.outcome == "processed":
            self.processed += 1
        elif result.outcome == "skipped":
            self.skipped += 1
        else:
            self.failed += 1
        self.artifacts_created += result.artifacts
        self.auto_approved += result.auto_approved


class BaseAgent(ABC):
    """Subclasses set ``name`` and ``item_type`` and implement ``select`` and ``process``."""

    name: ClassVar[str] = ""
    item_type: ClassVar[str] = ""

    @abstractmethod
    def select(self, context: AgentContext) -> Iterable[Any]:
        """Ids of the items eligible now (a selector; cheap, no locks)."""

    @abstractmethod
    def process(self, item_id: Any, context: AgentContext) -> ItemResult:
        """Process one item idempotently (own short transactions, LLM outside them)."""

    def run(self, context: AgentContext) -> AgentResult:
        result = AgentResult(agent=self.name)
        started = time.perf_counter()
        with log_context.bind(agent=self.name, run_id=context.run_id):
            selected = self.select(context)
            if context.done:
                selected = [item for item in selected if str(item) not in context.done]
            selected = list(selected)
            if context.limit is not None:
                selected = selected[: max(0, context.limit - len(context.done))]
            if context.on_selected is not None:
                context.on_selected(len(context.done) + len(selected))

            def record(item_id: Any, item_result: ItemResult) -> None:
                result.add(item_result)
                if context.on_item is not None:
                    context.on_item(self.item_type, str(item_id), item_result)

            def may_start() -> bool:
                return context.should_stop is None or not context.should_stop()

            if context.concurrency > 1:
                result.stopped = process_concurrently(
                    selected,
                    workers=context.concurrency,
                    name=f"agent-{self.name}",
                    process=lambda item_id: self._process_one(item_id, context),
                    record=record,
                    may_start=may_start,
                )
            else:
                for item_id in selected:
                    if not may_start():
                        result.stopped = True
                        break
                    record(item_id, self._process_one(item_id, context))
        result.duration_s = time.perf_counter() - started
        return result

    def _process_one(self, item_id: Any, context: AgentContext) -> ItemResult:
        try:
            return self.process(item_id, context)
        except (RetryableLLMError, SoftTimeLimitExceeded):
            # The model server is unavailable: every further item would fail the same way.
            # Stop the run; the task retries it and the done items are skipped then. (At
            # the task's soft time limit the run hands itself back; the item is not failed.)
            raise
        except DomainError as exc:
            logger.warning(
                "item refused: %s",
                exc.message,
                extra={"event": "agent.item_failed", "item_id": str(item_id)},
            )
            return ItemResult("failed", exc.message[:300], error=_error_payload(exc))
        except Exception as exc:
            logger.exception(
                "item failed", extra={"event": "agent.item_failed", "item_id": str(item_id)}
            )
            return ItemResult("failed", str(exc)[:300], error=_error_payload(exc))


def _error_payload(exc: BaseException) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "retryable": bool(getattr(exc, "retryable", False)),
        "traceback": traceback.format_exception_only(type(exc), exc)[-1].strip(),
    }


error_payload = _error_payload

_REGISTRY: dict[str, type[BaseAgent]] = {}

AGENT_ORDER = ("sdr", "sales", "negotiation", "finance")


def register(agent_class: type[BaseAgent]) -> type[BaseAgent]:
    """Class decorator: make an agent runnable by name."""
    if not agent_class.name:
        raise ValueError(f"{agent_class.__name__} has no name")
    _REGISTRY[agent_class.name] = agent_class
    return agent_class


def get_agent(name: str) -> BaseAgent:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise KeyError(f"unknown agent {name!r}; known: {', '.join(agent_names())}") from None


def agent_names() -> list[str]:
    known = [name for name in AGENT_ORDER if name in _REGISTRY]
    return known + sorted(set(_REGISTRY) - set(known))


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)
