"""How domain apps hear what happened to the email of one of their artifacts.

The outbox references any artifact generically (content type + id). An app that sends
artifacts registers callbacks once, from its ``AppConfig.ready()``::

    from revo.mail.registry import register_artifact_sender

    register_artifact_sender(
        "leads.outreachmessage",
        on_sent=lambda artifact, message: lead_mark_contacted(...),
        on_failed=lambda artifact, message: ...,
        on_event=lambda artifact, event: ...,   # bounce / complaint for that artifact's email
        veto=lambda artifact, message: "",      # at send time: why it must not go out ("" = go)
    )

and, to hear of every address the tenant stops emailing (unsubscribe link, bounce,
complaint, manual), whatever the artifact::

    register_suppression_listener(lambda suppression: lead_mark_unsubscribed(...))

Callbacks run inside the transaction that records the outcome, in a savepoint: a callback
that raises is logged and its error kept on the message (``callback_error``) without undoing
the outcome, because the email really was sent (or failed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ArtifactCallback = Callable[[Any, Any], None]
ArtifactVeto = Callable[[Any, Any], str]
SuppressionListener = Callable[[Any], None]


@dataclass(frozen=True)
class ArtifactSender:
    model_label: str
    on_sent: ArtifactCallback | None = None
    on_failed: ArtifactCallback | None = None
    on_event: ArtifactCallback | None = None
    veto: ArtifactVeto | None = None


_senders: dict[str, ArtifactSender] = {}
_suppression_listeners: list[SuppressionListener] = []


def _normalise(model_label: str) -> str:
    app_label, _, model = model_label.partition(".")
    if not app_label or not model:
        raise ValueError(f"model label must look like 'app_label.model', got {model_label!r}")
    return f"{app_label}.{model}".lower()


def register_artifact_sender(
    model_label: str,
    *,
    on_sent: ArtifactCallback | None = None,
    on_failed: ArtifactCallback | None = None,
    on_event: ArtifactCallback | None = None,
    veto: ArtifactVeto | None = None,
) -> ArtifactSender:
    """Register (or replace) the callbacks for one artifact model (``"app_label.model"``).
    ``on_sent(artifact, message)`` after delivery; ``on_failed(artifact, message)`` when the
    message ends failed, suppressed (recipient on the suppression list) or held back by the
    veto; ``on_event(artifact, mail_event)`` on a bounce or complaint linked to that
    artifact's message; ``veto(artifact, message)`` just before each send attempt returns why
    the email must not go out any more ("" lets it go): the message is then ``cancelled``
    with that reason in ``cancel_reason`` and ``on_failed`` runs."""
    sender = ArtifactSender(
        model_label=_normalise(model_label),
        on_sent=on_sent,
        on_failed=on_failed,
        on_event=on_event,
        veto=veto,
    )
    _senders[sender.model_label] = sender
    return sender


def unregister_artifact_sender(model_label: str) -> None:
    _senders.pop(_normalise(model_label), None)


def artifact_sender_for(model_label: str) -> ArtifactSender | None:
    return _senders.get(_normalise(model_label))


def register_suppression_listener(listener: SuppressionListener) -> None:
    if listener not in _suppression_listeners:
        _suppression_listeners.append(listener)


def unregister_suppression_listener(listener: SuppressionListener) -> None:
    if listener in _suppression_listeners:
        _suppression_listeners.remove(listener)


def suppression_listeners() -> tuple[SuppressionListener, ...]:
    return tuple(_suppression_listeners)
