"""The ``models/{m}:method`` endpoints: generate, stream, countTokens, embedContent, batchEmbedContents.

Each takes the parsed body and returns a :class:`~._send.Reply`; request checks happen in the order
the service applies them (unknown names, then values, then the cache), so the first problem a
caller hits is the one the real API would report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _catalogue, _embed, _generate, _tokens, _turns
from ._caches import Caches
from ._proto import check_message
from ._send import Item, Reply, stream, unary
from ._validate import check_content_list, check_output_modalities, check_unknown_fields, validate_generate
from ._wire import ApiError, camelize

_SERVICE_TIER = {"x-gemini-service-tier": "standard"}


@dataclass(frozen=True)
class Settings:
    """The emulator options generation depends on, read per request so tests may change them."""

    seed: int
    chunk_tokens: int
    usage_on_every_chunk: bool
    strict: bool = True
    """Apply the service's checks added for fidelity (see ``Emulator(strict=...)``)."""


def find(models: list[dict[str, Any]], model_id: str, version: str, method: str) -> dict[str, Any]:
    """The catalogue entry for ``model_id``, or the service's 404 (see tests/fixtures/error_404.json)."""
    model = _catalogue.find_model(models, model_id)
    if model is None:
        raise ApiError(
            404,
            f"models/{model_id} is not found for API version {version}, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods.",
        )
    return model


def _unsupported(model: dict[str, Any], method: str) -> ApiError:
    return ApiError(400, f"{model['name']} does not support {method}. Call ListModels to see supported methods.")


def generate(
    endpoint: str,
    model: dict[str, Any],
    body: Any,
    sse: bool,
    settings: Settings,
    caches: Caches,
    describe_file: Callable[[dict[str, Any]], str],
) -> Reply:
    """generateContent (unary) or streamGenerateContent (SSE or JSON array)."""
    if _catalogue.is_embedding(model):
        raise _unsupported(model, "generateContent")
    if settings.strict:
        check_message(body)
    else:
        check_unknown_fields(body)
    request = camelize(body)
    validate_generate(request, model)
    if settings.strict:
        check_output_modalities(request.get("generationConfig") or {}, model)
    seed = _generate.request_seed(request, model["name"], settings.seed)
    effective, cached = request, None
    if request.get("cachedContent"):
        effective, cached = caches.apply(request, model["name"])
    tally = _tokens.count_request(effective)
    if settings.strict:
        check_conversation(effective, model, tally)
    gen = _generate.generate(effective, model, seed, describe_file, cached, tally)
    if endpoint == "generateContent":
        tokens = sum(c.tokens + c.thought_tokens for c in gen.candidates)
        reply = unary(_generate.unary_body(gen), headers=_SERVICE_TIER, tokens=tokens)
        # Text, thoughts, signatures and counts only: floats come with calls' args and tool metadata.
        reply.items[0].simple = not any(c.calls or c.metadata or c.tool_parts for c in gen.candidates)
    else:
        events = _generate.stream_events(gen, settings.chunk_tokens, settings.usage_on_every_chunk)
        reply = stream([Item(event, tokens) for event, tokens in events], sse, headers=_SERVICE_TIER)
    reply.paced = True
    return reply


def check_conversation(request: dict[str, Any], model: dict[str, Any], tally: dict[str, int]) -> None:
    """The strict checks on what the conversation holds (§13.4): parts, turn order, signatures, size."""
    contents = request.get("contents") or []
    _turns.check_parts(contents)
    _turns.check_turns(contents)
    _turns.check_signatures(contents, model)
    limit, total = int(model.get("inputTokenLimit", 1 << 30)), sum(tally.values())
    if total > limit:
        raise ApiError(400, f"The input token count ({total}) exceeds the maximum number of tokens allowed ({limit}).")


def count_tokens(model: dict[str, Any], body: Any, caches: Caches, strict: bool = True) -> Reply:
    """countTokens with either ``contents`` or ``generateContentRequest`` (gemini-rest.md §6)."""
    if strict:
        check_message(body, "CountTokensRequest")
    request = camelize(body) if isinstance(body, dict) else {}
    has_contents, has_request = "contents" in request, "generateContentRequest" in request
    if has_contents == has_request:
        raise ApiError(400, "* CountTokensRequest: set exactly one of contents and generate_content_request\n")
    cached: dict[str, int] = {}
    if has_request:
        check_unknown_fields(body.get("generateContentRequest", body.get("generate_content_request")))
        inner = request["generateContentRequest"]
        check_content_list(inner.get("contents"))
        if strict:
            _turns.check_parts(inner.get("contents") or [], "CountTokensRequest.generate_content_request")
        if inner.get("cachedContent"):
            inner, cached = caches.apply(inner, model["name"])
        tally = _tokens.count_request(inner)
    else:
        contents = check_content_list(request.get("contents"))
        if strict:
            _turns.check_parts(contents, "CountTokensRequest")
        empty = [i for i, content in enumerate(contents) if not content.get("parts")]
        if empty:
            raise ApiError(400, f"* CountTokensRequest.contents[{empty[0]}].parts: contents.parts must not be empty.\n")
        tally = _tokens.count_contents(contents)
    out: dict[str, Any] = {"totalTokens": sum(tally.values())}
    if cached:
        out["cachedContentTokenCount"] = sum(cached.values())
    if _tokens.details(tally):
        out["promptTokensDetails"] = _tokens.details(tally)
    if cached:
        out["cacheTokensDetails"] = _tokens.details(cached)
    return unary(out)


def embed(endpoint: str, model: dict[str, Any], body: Any) -> Reply:
    """embedContent or batchEmbedContents on an embedding model."""
    if not _catalogue.is_embedding(model):
        raise _unsupported(model, endpoint)
    request = camelize(body) if isinstance(body, dict) else {}
    if endpoint == "embedContent":
        return unary({"embedding": _embed.embed_one(request, model)})
    return unary(_embed.embed_batch(request, model))
