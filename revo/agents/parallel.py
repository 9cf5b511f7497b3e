"""Items of one run processed by several threads at once (``AGENT_ITEM_CONCURRENCY``).

The model call dominates an item's time and is spent waiting on the network, so a few
threads let one tenant's run use a model server that answers several requests in parallel
(Ollama's ``OLLAMA_NUM_PARALLEL``); ``LLM_MAX_CONCURRENCY`` still caps the calls in flight
per process. Each thread has its own database connection in the run's tenant schema and the
caller's log context; items are independent by the agent contract (each in transactions of
its own, re-checked under row locks). Results are handed to ``on_item`` in the calling
thread only, so the run's counters and item log need no locks. When an item raises what
stops the run (the model server is down, the task's soft time limit), no new item starts,
the items in flight finish and are recorded, and the exception goes on to the runner.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from django.db import connection, connections

Outcome = Any  # base.ItemResult (imported lazily by the caller's types)


class ItemPool:
    """A thread pool whose threads work in the current tenant's schema."""

    def __init__(self, workers: int, *, name: str) -> None:
        self.workers = workers
        self._tenant = getattr(connection, "tenant", None)
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=name, initializer=self._thread_start
        )

    def _thread_start(self) -> None:
        own = connections["default"]
        own.inc_thread_sharing()  # closed by the pool's owner thread at the end
        if self._tenant is not None:
            own.set_tenant(self._tenant)
        with self._lock:
            self._opened.append(own)

    def submit(self, function: Callable[..., Outcome], *args: Any) -> Future:
        return self._pool.submit(contextvars.copy_context().run, function, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for own in self._opened:
            own.close()
            own.dec_thread_sharing()
        self._opened.clear()


def process_concurrently(
    items: Iterable[Any],
    *,
    workers: int,
    name: str,
    process: Callable[[Any], Outcome],
    record: Callable[[Any, Outcome], None],
    may_start: Callable[[], bool],
) -> bool:
    """Process ``items`` with ``workers`` threads; ``record(item, outcome)`` in this thread
    as each finishes; ``may_start()`` is asked before each item starts. True when it said
    no (the run stopped early)."""
    pool = ItemPool(workers, name=name)
    in_flight: dict[Future, Any] = {}
    source = iter(items)
    stopped = exhausted = False
    try:
        while True:
            while not (stopped or exhausted) and len(in_flight) < workers:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                elif not may_start():
                    stopped = True
                else:
                    in_flight[pool.submit(process, item)] = item
            if not in_flight:
                return stopped
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                item = in_flight.pop(future)
                record(item, future.result())  # an exception that stops the run: raised
    except BaseException:
        # Let the items in flight finish (their writes are their own) and record them.
        if in_flight:
            wait(in_flight)
            for future, item in in_flight.items():
                if future.exception() is None:
                    record(item, future.result())
        raise
    finally:
        pool.close()


_END = object()
