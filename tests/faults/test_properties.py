"""Property tests over types: any wire-shaped response round-trips, and stitching never changes text.

The strategy below builds ``GenerateContentResponse`` JSON the way the service writes it (proto3
JSON: camelCase keys, no nulls, standard base64 for bytes, enums as strings) with the variety a
stream can carry: text, thought, functionCall, inlineData, code parts; known and never-seen enum
values; usage and safety metadata; and unknown keys at every level, which must be ignored.
(The SSE decoder's own properties live in tests/unit/test_sse_properties.py.)
"""

from __future__ import annotations

import base64
import json
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_async._accumulate import Accumulator
from genai_async.types import Candidate, Content, GenerateContentResponse, Part, UsageMetadata

UNKNOWN = "x-unknown-"
"""Prefix of every key the types do not know; free-form JSON (function args) never produces it."""

text = st.text(st.characters(codec="utf-8"), max_size=40)  # valid UTF-8: no lone surrogates
small_int = st.integers(0, 2**31 - 1)
finite = st.floats(allow_nan=False, allow_infinity=False)
b64 = st.binary(max_size=32).map(lambda raw: base64.b64encode(raw).decode())

json_value = st.recursive(
    st.booleans() | st.integers(-(2**53), 2**53) | finite | text | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
"""Any JSON value (free-form fields such as functionCall.args)."""
unknown_value = st.one_of(st.integers(), text, st.lists(text, max_size=2), st.fixed_dictionaries({"new": text}))
"""What a field the types do not know yet may hold."""


def enum(*known: str) -> st.SearchStrategy[str]:
    """A documented value, or one the service may add later."""
    return st.sampled_from(known) | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=24)


def obj(
    required: dict[str, Any] | None = None, **optional: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with the given keys (optional ones may be absent) plus unknown extra keys."""
    extra = st.dictionaries(st.text("abcdefz", min_size=1, max_size=6).map(UNKNOWN.__add__), unknown_value, max_size=2)
    base = st.fixed_dictionaries(required or {}, optional=optional)
    return st.tuples(base, extra).map(lambda pair: {**pair[0], **pair[1]})


safety_rating = obj(
    category=enum("HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT"),
    probability=enum("NEGLIGIBLE", "LOW", "MEDIUM", "HIGH"),
    blocked=st.booleans(),
)
part = st.one_of(
    obj({"text": text}, thought=st.booleans(), thoughtSignature=b64),
    obj({"functionCall": obj({"name": text}, id=text, args=st.dictionaries(st.text(max_size=8), json_value))}),
    obj({"inlineData": obj({"mimeType": st.sampled_from(["image/png", "audio/wav", "application/pdf"]), "data": b64})}),
    obj({"fileData": obj({"fileUri": text}, mimeType=text)}),
    obj({"executableCode": obj({"code": text}, language=enum("PYTHON"))}),
    obj({"codeExecutionResult": obj(outcome=enum("OUTCOME_OK", "OUTCOME_FAILED"), output=text)}),
)
candidate = obj(
    content=obj(role=st.sampled_from(["model", "user"]), parts=st.lists(part, max_size=3)),
    finishReason=enum("STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "MALFORMED_FUNCTION_CALL", "CONTINUATION"),
    finishMessage=text,
    index=st.integers(0, 7),
    safetyRatings=st.lists(safety_rating, max_size=2),
    tokenCount=small_int,
    avgLogprobs=finite,
    citationMetadata=obj(
        citationSources=st.lists(obj(startIndex=small_int, endIndex=small_int, uri=text, license=text), max_size=2)
    ),
    continuationToken=b64,
)
modality_count = obj(modality=enum("TEXT", "IMAGE", "AUDIO", "VIDEO", "DOCUMENT"), tokenCount=small_int)
response_json = obj(
    candidates=st.lists(candidate, max_size=2),
    promptFeedback=obj(
        blockReason=enum("SAFETY", "OTHER", "PROHIBITED_CONTENT"), safetyRatings=st.lists(safety_rating, max_size=2)
    ),
    usageMetadata=obj(
        promptTokenCount=small_int,
        candidatesTokenCount=small_int,
        thoughtsTokenCount=small_int,
        cachedContentTokenCount=small_int,
        totalTokenCount=small_int,
        promptTokensDetails=st.lists(modality_count, max_size=2),
        serviceTier=st.sampled_from(["standard", "flex", "priority"]),
    ),
    modelVersion=text,
    responseId=text,
    modelStatus=obj(modelStage=enum("STABLE", "PREVIEW", "DEPRECATED"), retirementTime=text, message=text),
)


def known_only(value: Any) -> Any:
    """``value`` without the unknown keys: what a decode + encode round trip must give back."""
    if isinstance(value, dict):
        return {k: known_only(v) for k, v in value.items() if not k.startswith(UNKNOWN)}
    if isinstance(value, list):
        return [known_only(v) for v in value]
    return value


@settings(max_examples=200, deadline=None)
@given(response_json)
def test_any_wire_response_round_trips(wire: dict[str, Any]) -> None:
    raw = json.dumps(wire, ensure_ascii=False).encode()
    response = msgspec.json.decode(raw, type=GenerateContentResponse)
    encoded = msgspec.json.encode(response)
    assert msgspec.json.decode(encoded, type=GenerateContentResponse) == response
    # Byte-faithful apart from unknown keys: nothing known is dropped, renamed, or re-typed.
    assert json.loads(encoded) == known_only(wire)


def chunk(piece: str, *, thought: bool, last: bool) -> bytes:
    """One streamed chunk carrying ``piece``, as JSON (the stream decodes every chunk from the wire)."""
    cand = Candidate(
        content=Content(role="model", parts=[Part(text=piece, thought=True if thought else None)]),
        index=0,
        finish_reason="STOP" if last else None,  # type: ignore[arg-type]
    )
    usage = UsageMetadata(total_token_count=len(piece))
    return msgspec.json.encode(GenerateContentResponse(candidates=[cand], usage_metadata=usage, response_id="r"))


def split(draw: st.DrawFn, value: str) -> list[str]:
    """``value`` cut at any points, empty pieces included."""
    cuts = sorted(draw(st.lists(st.integers(0, len(value)), max_size=12)))
    bounds = [0, *cuts, len(value)]
    return [value[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@st.composite
def interleaved(draw: st.DrawFn) -> tuple[str, str, list[tuple[bool, str]]]:
    """An answer and a thought summary, each split anywhere, their pieces interleaved in any order."""
    answer = draw(text)
    thoughts = draw(text) if draw(st.booleans()) else ""
    queues = [[(False, p) for p in split(draw, answer)], [(True, p) for p in split(draw, thoughts)] if thoughts else []]
    order = draw(st.permutations([0] * len(queues[0]) + [1] * len(queues[1])))  # each keeps its own order
    pieces = [queues[which].pop(0) for which in order]
    return answer, thoughts, pieces


@settings(max_examples=300, deadline=None)
@given(interleaved())
def test_stitching_any_split_gives_back_the_text(case: tuple[str, str, list[tuple[bool, str]]]) -> None:
    answer, thoughts, pieces = case
    acc = Accumulator()
    for i, (thought, piece) in enumerate(pieces):
        acc.add(
            msgspec.json.decode(chunk(piece, thought=thought, last=i == len(pieces) - 1), type=GenerateContentResponse)
        )
    result = acc.result()
    assert acc.count == len(pieces)
    assert (result.text or "") == answer
    assert (result.thoughts or "") == thoughts
    assert result.candidates is not None and result.candidates[0].finish_reason == "STOP"
    if not thoughts and answer:  # one run of answer text stays one part
        assert [p.text for p in result.candidates[0].content.parts] == [answer]  # type: ignore[union-attr]
