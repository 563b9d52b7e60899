"""Turn a GenerateContentRequest into one deterministic generation, then render it unary or streamed.

Design: :func:`generate` decides everything up front (thoughts, answer text or function calls,
finish reason, token counts) from a seed hashed over the canonical request, so the unary body and
the concatenated stream carry the same text and the same usage. Thinking spends
``maxOutputTokens`` first, as the service does (gemini-rest.md §3.5): when it uses the whole
budget the candidate ends ``MAX_TOKENS`` with no answer parts. Stop sequences cut before their
first occurrence (finish ``STOP``); the token limit then cuts at a token boundary (``MAX_TOKENS``).
:func:`stream_events` splits the same candidates into chunks of ``chunk_tokens`` tokens, one
thought summary per event, with usage as a running snapshot (§5.3).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from . import _server_tools, _text, _tokens, _tools
from ._schema import Hints, enum_values, instance
from ._validate import thinking_level
from ._wire import ApiError

FUNCTION_CALL_MESSAGE = "Model generated function call(s)."
_THINKING_RANGES = {"LOW": (16, 48), "MEDIUM": (48, 128), "HIGH": (128, 320), "XHIGH": (256, 512)}
_DEFAULT_THINKING = (24, 96)


@dataclass
class Candidate:
    index: int
    thoughts: list[str] = field(default_factory=list)
    thought_tokens: int = 0
    text: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    signature: str | None = None
    finish_reason: str = "STOP"
    finish_message: str | None = None
    tokens: int = 0
    tool_parts: list[dict[str, Any]] = field(default_factory=list)
    """Server-side tool parts (code and its result), before the answer text."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """groundingMetadata / urlContextMetadata, sent with the candidate's final event."""
    tool_tokens: int = 0


@dataclass
class Generation:
    candidates: list[Candidate]
    prompt: dict[str, int]
    cached: dict[str, int]
    response_id: str
    model_version: str


def derive(seed: bytes, label: str, size: int) -> bytes:
    return hashlib.shake_256(seed + label.encode()).digest(size)


def request_seed(request: dict[str, Any], model: str, emulator_seed: int) -> bytes:
    """Hash of the canonical request: the same request always gives the same bytes."""
    return hashlib.sha256(msgspec.json.encode([model, emulator_seed, request], order="sorted")).digest()


def _decoded_size(data: Any, where: str) -> int:
    text = str(data).replace("-", "+").replace("_", "/")
    try:
        return len(base64.b64decode(text + "=" * (-len(text) % 4), validate=True))
    except ValueError as exc:
        raise ApiError(400, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed") from exc


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" else "a"


def build_prompt(request: dict[str, Any], describe_file: Callable[[dict[str, Any]], str]) -> _text.Prompt:
    contents: list[dict[str, Any]] = request.get("contents") or []
    prompt = _text.Prompt(turns=len(contents))
    prompt.system = " ".join(p.get("text", "") for p in (request.get("systemInstruction") or {}).get("parts") or [])
    prompt.stop_sequences = list((request.get("generationConfig") or {}).get("stopSequences") or [])
    for c_index, content in enumerate(contents):
        parts = content.get("parts") or []
        if content.get("role", "user") != "model":
            text = " ".join(str(p["text"]) for p in parts if "text" in p)
            if text:
                prompt.user_texts.append(text)
                prompt.latest_text = text
        latest = c_index == len(contents) - 1
        for p_index, part in enumerate(parts):
            # Media anywhere in the history is checked (bad base64, unusable files); only the
            # latest turn's media and function results are talked about.
            if "inlineData" in part:
                mime = str(part["inlineData"].get("mimeType", "application/octet-stream"))
                where = f"contents[{c_index}].parts[{p_index}].inline_data.data"
                size = _decoded_size(part["inlineData"].get("data", ""), where)
                if latest:
                    prompt.media.append(f"{_article(mime)} {mime} of {size} bytes")
            if "fileData" in part:
                described = describe_file(part["fileData"])
                if latest:
                    prompt.media.append(described)
            if "functionResponse" in part and latest:
                response = part["functionResponse"]
                name = str(response.get("name", "function"))
                prompt.function_results.append((name, response.get("response", {})))
    prompt.hints = _text.hints(prompt.latest_text)
    if prompt.function_results:  # a later round of function calling takes names from the results it answers
        results = " ".join(json.dumps(r, ensure_ascii=False) for _, r in prompt.function_results)
        prompt.hints.names = prompt.hints.names + _text.proper_nouns(_text.window(f"with {results}"))
    return prompt


def _thinking_tokens(config: dict[str, Any], model: dict[str, Any], rng: random.Random) -> int:
    if not model.get("thinking"):
        return 0
    thinking = config.get("thinkingConfig") or {}
    level, budget = thinking_level(config), thinking.get("thinkingBudget")
    if level == "MINIMAL" or budget == 0:
        return 0
    low, high = _THINKING_RANGES.get(level or "", _DEFAULT_THINKING)
    tokens = rng.randint(low, high)
    return min(tokens, budget) if isinstance(budget, int) and budget > 0 else tokens


def _truncate(text: str, limit: int) -> str:
    return "".join(_tokens.split_tokens(text)[:limit])


def _answer_text(request: dict[str, Any], prompt: _text.Prompt, rng: random.Random, hints: Hints) -> str:
    config = request.get("generationConfig") or {}
    mime = config.get("responseMimeType", "text/plain")
    schema = config.get("responseJsonSchema") or config.get("_responseJsonSchema") or config.get("responseSchema")
    if mime == "text/x.enum" and isinstance(schema, dict):
        values = enum_values(schema)
        mentioned = [v for v in values if str(v).lower() in hints.text]
        return str(mentioned[0] if mentioned else rng.choice(values))
    if mime == "application/json":
        if isinstance(schema, dict):
            value = instance(schema, rng, hints)
        else:
            value = {"topic": hints.keyword, "answer": _text.answer(prompt, rng)}
        return json.dumps(value, ensure_ascii=False)
    return _text.answer(prompt, rng)


def _candidate(
    index: int, request: dict[str, Any], model: dict[str, Any], prompt: _text.Prompt, seed: bytes
) -> Candidate:
    rng = random.Random(derive(seed, f"candidate-{index}", 16))
    config = request.get("generationConfig") or {}
    limit = config.get("maxOutputTokens") or int(model.get("outputTokenLimit", 65536))
    include = bool((config.get("thinkingConfig") or {}).get("includeThoughts"))
    hidden = _thinking_tokens(config, model, rng)
    cand = Candidate(index=index)
    hints = prompt.hints
    cand.calls = [_tools.call(d, rng, hints) for d in _tools.choose(request, hints)]
    if hidden and include:
        if cand.calls:
            cand.thoughts = [_text.tool_thought(c["name"], c.get("args", {})) for c in cand.calls[:1]]
        else:
            cand.thoughts = _text.thoughts(prompt, rng, rng.randint(1, 2))
    cand.thought_tokens = sum(_tokens.count_text(t) for t in cand.thoughts) + hidden if hidden else 0
    if cand.thought_tokens >= limit:
        cand.thought_tokens = limit
        cand.thoughts = _fit(cand.thoughts, limit)
        cand.calls, cand.finish_reason = [], "MAX_TOKENS"
        return cand
    if cand.calls or (hidden and include):
        # Signatures ride on the first call of a step, or on the first answer part after thoughts.
        sig = derive(seed, f"signature-{index}", 72 + rng.randint(0, 48))
        cand.signature = base64.b64encode(sig).decode()
    if cand.calls:
        cand.finish_message = FUNCTION_CALL_MESSAGE
        cand.tokens = sum(_tokens.count_text(json.dumps(c, separators=(",", ":"))) for c in cand.calls)
        return cand
    server = _server_tools.enabled(request)
    tools = _server_tools.before_answer(server, prompt)
    text = _answer_text(request, prompt, rng, hints)
    if tools.lead and not text.lstrip().startswith(("{", "[")):
        text = f"{tools.lead} {text}"
    cuts = [text.find(s) for s in prompt.stop_sequences if s and s in text]
    if cuts:
        text = text[: min(cuts)]
    budget = limit - cand.thought_tokens
    tokens = _tokens.count_text(text)
    if tokens > budget:
        text, cand.finish_reason = _truncate(text, budget), "MAX_TOKENS"
        tokens = _tokens.count_text(text)
    cand.text, cand.tokens = text, tokens
    cand.tool_parts, cand.metadata, cand.tool_tokens = tools.parts, tools.metadata, tools.prompt_tokens
    cand.tokens += sum(_tokens.count_text(json.dumps(p, separators=(",", ":"))) for p in tools.parts)
    if server & {"googleSearch", "googleSearchRetrieval"}:
        grounding = _server_tools.grounding(prompt, text)
        cand.metadata = {"groundingMetadata": grounding, **cand.metadata}
        cand.tool_tokens += _server_tools.SEARCH_RESULT_TOKENS * len(grounding["groundingChunks"])
    return cand


def _fit(thoughts: list[str], limit: int) -> list[str]:
    out: list[str] = []
    for thought in thoughts:
        room = limit - sum(_tokens.count_text(t) for t in out)
        if room <= 0:
            break
        out.append(_truncate(thought, room))
    return out


def generate(
    request: dict[str, Any],
    model: dict[str, Any],
    seed: bytes,
    describe_file: Callable[[dict[str, Any]], str],
    cached: dict[str, int] | None = None,
    tally: dict[str, int] | None = None,
) -> Generation:
    """Plan every candidate of one request; ``request`` is camelized and already validated.

    ``tally`` is the prompt's token count by modality when the caller already has it.
    """
    prompt = build_prompt(request, describe_file)
    count = int((request.get("generationConfig") or {}).get("candidateCount") or 1)
    candidates = [_candidate(i, request, model, prompt, seed) for i in range(count)]
    response_id = base64.urlsafe_b64encode(derive(seed, "response-id", 17)).decode().rstrip("=")
    return Generation(
        candidates=candidates,
        prompt=tally if tally is not None else _tokens.count_request(request),
        cached=cached or {},
        response_id=response_id,
        model_version=str(model["name"]).removeprefix("models/"),
    )


def usage(gen: Generation, thoughts: int, candidates: int | None) -> dict[str, Any]:
    prompt = sum(gen.prompt.values())
    tool_use = sum(c.tool_tokens for c in gen.candidates)
    out: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates:
        out["candidatesTokenCount"] = candidates
    out["totalTokenCount"] = prompt + (candidates or 0) + thoughts + tool_use
    if gen.cached:
        out["cachedContentTokenCount"] = sum(gen.cached.values())
    details = _tokens.details(gen.prompt)
    if details:
        out["promptTokensDetails"] = details
    if gen.cached:
        out["cacheTokensDetails"] = _tokens.details(gen.cached)
    if thoughts:
        out["thoughtsTokenCount"] = thoughts
    if tool_use:
        out["toolUsePromptTokenCount"] = tool_use
    out["serviceTier"] = "standard"
    return out


def _answer_parts(cand: Candidate, text: str | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for i, call in enumerate(cand.calls):
        parts.append(
            {"functionCall": call, **({"thoughtSignature": cand.signature} if i == 0 and cand.signature else {})}
        )
    parts += cand.tool_parts
    if text:
        parts.append({"text": text, **({"thoughtSignature": cand.signature} if cand.signature else {})})
    return parts


def _candidate_json(cand: Candidate, parts: list[dict[str, Any]], final: bool) -> dict[str, Any]:
    content: dict[str, Any] = {"parts": parts, "role": "model"} if parts else {"role": "model"}
    out: dict[str, Any] = {"content": content}
    if final:
        out["finishReason"] = cand.finish_reason
    out["index"] = cand.index
    if final and cand.finish_message:
        out["finishMessage"] = cand.finish_message
    if final:
        out.update(cand.metadata)
    return out


def unary_body(gen: Generation) -> dict[str, Any]:
    candidates = []
    for cand in gen.candidates:
        parts = [{"text": t, "thought": True} for t in cand.thoughts] + _answer_parts(cand, cand.text)
        candidates.append(_candidate_json(cand, parts, final=True))
    thoughts = sum(c.thought_tokens for c in gen.candidates)
    tokens = sum(c.tokens for c in gen.candidates)
    return {
        "candidates": candidates,
        "usageMetadata": usage(gen, thoughts, tokens),
        "modelVersion": gen.model_version,
        "responseId": gen.response_id,
    }


def _segments(cand: Candidate, chunk_tokens: int) -> list[tuple[list[dict[str, Any]], int, int]]:
    """(parts, output tokens, cumulative thought tokens) per event of one candidate."""
    segments: list[tuple[list[dict[str, Any]], int, int]] = []
    for i, thought in enumerate(cand.thoughts):
        done = round(cand.thought_tokens * (i + 1) / len(cand.thoughts))
        segments.append(([{"text": thought, "thought": True}], 0, done))
    pieces = _tokens.split_tokens(cand.text or "")
    segments += [([part], 0, cand.thought_tokens) for part in cand.tool_parts]
    first = True
    for call in cand.calls:
        single = Candidate(index=cand.index, calls=[call], signature=cand.signature if first else None)
        segments.append((_answer_parts(single, None), 0, cand.thought_tokens))
        first = False
    for start in range(0, len(pieces), max(1, chunk_tokens)):
        chunk = pieces[start : start + chunk_tokens]
        sig = cand.signature if start == 0 else None
        part = {"text": "".join(chunk), **({"thoughtSignature": sig} if sig else {})}
        segments.append(([part], len(chunk), cand.thought_tokens))
    return segments or [([], 0, cand.thought_tokens)]


def stream_events(gen: Generation, chunk_tokens: int, usage_every: bool) -> list[tuple[dict[str, Any], int]]:
    """The stream's events with the tokens each one represents (for pacing)."""
    per_cand = [_segments(c, chunk_tokens) for c in gen.candidates]
    total = max(len(s) for s in per_cand)
    tokens = sum(c.tokens for c in gen.candidates)
    events: list[tuple[dict[str, Any], int]] = []
    previous_thoughts = 0
    for k in range(total):
        candidates, thoughts, paced = [], 0, 0
        for cand, segments in zip(gen.candidates, per_cand, strict=True):
            parts, out_tokens, done = segments[min(k, len(segments) - 1)]
            thoughts += done
            if k < len(segments):
                candidates.append(_candidate_json(cand, parts, final=k == len(segments) - 1))
                paced += out_tokens
        last = k == total - 1
        event: dict[str, Any] = {"candidates": candidates}
        if usage_every or last:
            event["usageMetadata"] = usage(gen, thoughts, tokens if last else None)
        event["modelVersion"] = gen.model_version
        event["responseId"] = gen.response_id
        events.append((event, paced + thoughts - previous_thoughts))
        previous_thoughts = thoughts
    return events
