"""The deterministic, offline backend used for demos and as a labelled fallback.

``chat`` renders ``request.fallback_template`` with ``request.context`` through Django's
template language (``{{ lead.first_name }}``, ``{% if %}``, filters) on an engine with
autoescape off, plus the ``json`` filter from ``template_filters``. When the request carries
an output schema the rendered text must be JSON. Everything it returns is labelled
``template`` (model and backend) with the endpoint ``template://local``.

``embed`` returns deterministic feature-hashing vectors of ``EMBED_DIMENSIONS`` (384)
floats: word unigrams and bigrams hashed (BLAKE2b) into signed buckets, L2-normalised, so
texts sharing words are close under cosine distance and offline demos can use RAG."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from functools import lru_cache

from django.template import Context, Engine, Template, TemplateSyntaxError

from revo.llm.backends.base import ChatRequest, ChatResponse, EmbedResponse
from revo.llm.errors import LLMResponseError, PromptError

NAME = "template"
ENDPOINT = "template://local"
EMBED_DIMENSIONS = 384
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def template_engine() -> Engine:
    return Engine(
        autoescape=False,
        builtins=["revo.llm.backends.template_filters"],
        string_if_invalid="",
    )


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return template_engine().from_string(source)


def render_template(source: str, context: dict[str, object], *, prompt_key: str = "") -> str:
    """Render a fallback template the way the template backend does."""
    try:
        compiled = _compile(source)
    except TemplateSyntaxError as exc:
        raise PromptError(
            f"fallback template of {prompt_key or 'the prompt'} is invalid: {exc}"
        ) from exc
    return compiled.render(Context(context, autoescape=False)).strip()


def hash_embedding(text: str, dimensions: int = EMBED_DIMENSIONS) -> list[float]:
    words = _WORD.findall(text.lower())
    features = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    vector = [0.0] * dimensions
    for feature in features or [""]:
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:  # every feature cancelled out; fall back to the text's own bucket
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % dimensions] = 1.0
        return vector
    return [value / norm for value in vector]


class TemplateBackend:
    name = NAME

    def chat(self, request: ChatRequest) -> ChatResponse:
        started = time.perf_counter()
        if not request.fallback_template.strip():
            raise PromptError(
                f"prompt {request.prompt_key or '(unnamed)'} has no fallback template "
                "for the template backend"
            )
        content = render_template(
            request.fallback_template, request.context, prompt_key=request.prompt_key
        )
        if request.json_schema is not None:
            try:
                json.loads(content)
            except ValueError as exc:
                raise LLMResponseError(
                    f"fallback template of {request.prompt_key or 'the prompt'} did not render "
                    f"to JSON ({exc}); use {{{{ value|json }}}} for values, "
                    f"{{{{ value|escapejs }}}} inside strings",
                    endpoint=ENDPOINT,
                ) from exc
        return ChatResponse(
            content=content,
            model=NAME,
            backend=NAME,
            endpoint=ENDPOINT,
            latency_ms=(time.perf_counter() - started) * 1000,
            done_reason="stop",
        )

    def embed(self, texts: list[str], *, model: str | None = None) -> EmbedResponse:
        started = time.perf_counter()
        vectors = [hash_embedding(text) for text in texts]
        return EmbedResponse(
            vectors=vectors,
            model=NAME,
            backend=NAME,
            endpoint=ENDPOINT,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def close(self) -> None:
        """Nothing to release; present so every backend can be closed alike."""
