"""Model backends and the per-process registry that picks one from the settings.

``get_backend()`` returns the backend named by ``LLM_BACKEND`` (or the one asked for), built
once per process: its HTTP sessions, concurrency slots and circuit breakers are shared by
every caller in the process. The registry forgets its backends when an ``LLM_*``,
``OLLAMA_*`` or ``OPENAI_*`` setting changes (tests) and in a forked child (Celery prefork),
which must not share its parent's sockets."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from revo.llm.backends.base import Backend
from revo.llm.backends.ollama import OllamaBackend
from revo.llm.backends.openai import OpenAIBackend
from revo.llm.backends.template import TemplateBackend

BACKENDS: dict[str, Callable[[], Backend]] = {
    "ollama": OllamaBackend.from_settings,
    "openai": OpenAIBackend.from_settings,
    "template": TemplateBackend,
}

_backends: dict[str, Backend] = {}
_lock = threading.Lock()


def get_backend(name: str | None = None) -> Backend:
    from django.conf import settings

    key = (name or settings.LLM_BACKEND or "").strip().lower()
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            build = BACKENDS.get(key)
            if build is None:
                raise ImproperlyConfigured(
                    f"LLM_BACKEND must be one of {', '.join(sorted(BACKENDS))}, got {key!r}"
                )
            try:
                backend = build()
            except ValueError as exc:
                raise ImproperlyConfigured(str(exc)) from exc
            _backends[key] = backend
    return backend


def reset_backends() -> None:
    """Close and forget every built backend; the next ``get_backend`` builds afresh."""
    with _lock:
        built = list(_backends.values())
        _backends.clear()
    for backend in built:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


@receiver(setting_changed)
def _forget_on_setting_change(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(("LLM_", "OLLAMA_", "OPENAI_")):
        reset_backends()


def _forget_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    _backends.clear()


os.register_at_fork(after_in_child=_forget_in_child)

__all__ = ["BACKENDS", "Backend", "get_backend", "reset_backends"]
