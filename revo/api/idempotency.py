"""``Idempotency-Key`` for POST handlers::

    class UserList(ApiView):
        @idempotent
        def post(self, request): ...

A key is scoped to the tenant (schema), the user and the endpoint, and kept 24 hours. The
same key with the same body replays the first response (``Idempotency-Replayed: true``);
with another body it is refused (422); while the first request still runs, a retry gets 409.
A request that fails with an exception releases its key, so it can be retried.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.exceptions import Conflict, Unprocessable
from revo.api.models import IdempotencyKey
from revo.api.services import (
    idempotency_key_claim,
    idempotency_key_complete,
    idempotency_key_release,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY_RE = re.compile(KEY_PATTERN)

Handler = Callable[..., Response]


def request_hash(request: Request) -> str:
    """sha256 of the body: of its canonical JSON when it parses, of the raw bytes else."""
    try:
        canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
        payload = canonical.encode()
    except (TypeError, ValueError):
        payload = request.body
    return hashlib.sha256(payload).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    return Response(
        record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"}
    )


def idempotent(handler: Handler) -> Handler:
    """Wrap a view's ``post``. Runs after authentication and permission checks."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _KEY_RE.match(key):
            raise ValidationError({IDEMPOTENCY_HEADER: ["Must be 1-255 visible ASCII characters."]})
        body_hash = request_hash(request)
        claim = idempotency_key_claim(
            user=request.user,
            endpoint=f"{request.method} {request.path}",
            key=key,
            request_hash=body_hash,
        )
        record = claim.record
        if not claim.won:
            if record.request_hash != body_hash:
                raise Unprocessable(
                    "This Idempotency-Key was already used with a different request body.",
                    details={IDEMPOTENCY_HEADER: [key]},
                )
            if record.status == IdempotencyKey.Status.IN_PROGRESS:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; retry later.",
                    details={IDEMPOTENCY_HEADER: [key]},
                )
            return _replay(record)
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            idempotency_key_release(record=record)
            raise
        if response.status_code >= 500:
            idempotency_key_release(record=record)
            return response
        body = json.loads(JSONRenderer().render(response.data) or b"null")
        idempotency_key_complete(
            record=record, response_status=response.status_code, response_body=body
        )
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def is_idempotent(handler: object) -> bool:
    return bool(getattr(handler, "idempotent", False))
