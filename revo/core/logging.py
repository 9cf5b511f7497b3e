"""Structured JSON logging: one JSON object per line.

Every line carries timestamp, level, event, logger, message and the context of the request
or task it belongs to (tenant, user_id, request_id, run_id, agent). Loggers may pass an
``event`` and further fields with ``extra={"event": "lead.imported", "rows": 10}``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from revo.core import context

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()) | {
    "message",
    "asctime",
    "event",
    *context.current().keys(),
}


class ContextFilter(logging.Filter):
    """Attach the current request/task context to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context.current().items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        if getattr(record, "tenant", None) is None:
            record.tenant = _schema_from_connection()
        return True


def _schema_from_connection() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # noqa: BLE001 - logging must never fail because Django is not ready
        return None


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in context.current():
            payload[key] = getattr(record, key, None)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)
