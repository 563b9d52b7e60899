"""Stitching rules of docs §5.8, checked on the fixtures and on hand-made chunks (no server)."""

from __future__ import annotations

import json

import msgspec
import pytest

from genai_async import errors, types
from genai_async._accumulate import Accumulator
from genai_async._codec import decode
from tests.conftest import fixture_bytes


def chunks_of(name: str) -> list[types.GenerateContentResponse]:
    out = []
    for line in fixture_bytes(name).split(b"\r\n"):
        if line.startswith(b"data: ") and b'"error"' not in line:
            out.append(decode(line[6:], types.GenerateContentResponse))
    return out


def stitch(chunks: list[types.GenerateContentResponse]) -> types.GenerateContentResponse:
    acc = Accumulator()
    for c in chunks:
        acc.add(c)
    return acc.result()


def chunk(*parts: dict, index: int = 0, rid: str = "r1", **cand: object) -> types.GenerateContentResponse:
    body = {
        "candidates": [{"content": {"role": "model", "parts": list(parts)}, "index": index, **cand}],
        "responseId": rid,
    }
    return decode(json.dumps(body), types.GenerateContentResponse)


def test_stream_text_becomes_one_part_with_last_usage() -> None:
    chunks = chunks_of("stream_text.sse")
    final = stitch(chunks)
    assert final.candidates is not None and len(final.candidates) == 1
    cand = final.candidates[0]
    assert cand.content is not None and cand.content.role == "model"
    assert cand.content.parts is not None and len(cand.content.parts) == 1
    assert final.text == "".join(c.text or "" for c in chunks)
    assert cand.finish_reason == "STOP"
    assert final.usage_metadata == chunks[-1].usage_metadata
    assert final.usage_metadata is not None and final.usage_metadata.total_token_count == 143
    assert final.response_id == chunks[0].response_id
    assert final.model_version == "gemini-3.5-flash"


def test_empty_final_text_part_is_dropped() -> None:
    final = stitch(chunks_of("stream_text_usage_last_only.sse"))
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert parts is not None and len(parts) == 1 and parts[0].text


def test_thoughts_and_answer_are_two_parts_signature_kept() -> None:
    chunks = chunks_of("stream_thoughts.sse")
    final = stitch(chunks)
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert parts is not None and len(parts) == 2
    assert parts[0].thought is True and parts[1].thought is None
    signed = [p for c in chunks for p in c.candidates[0].content.parts if p.thought_signature]  # type: ignore[index,union-attr]
    assert parts[1].thought_signature == signed[0].thought_signature
    assert final.thoughts == "".join(c.thoughts or "" for c in chunks)


def test_function_call_parts_are_kept_whole_and_in_order() -> None:
    final = stitch(chunks_of("stream_function_call.sse"))
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert parts is not None
    assert parts[0].thought is True
    assert parts[1].function_call is not None and parts[1].function_call.name == "get_weather"
    assert parts[1].thought_signature is not None
    assert final.candidates[0].finish_message == "Model generated function call(s)."  # type: ignore[index]


def test_safety_stop_keeps_streamed_text() -> None:
    final = stitch(chunks_of("stream_candidate_safety.sse"))
    cand = final.candidates[0]  # type: ignore[index]
    assert cand.finish_reason == "SAFETY"
    assert cand.safety_ratings is not None and any(r.blocked for r in cand.safety_ratings)
    assert final.text is not None and final.text.startswith("Here is an overview")


def test_second_different_signature_starts_a_new_part() -> None:
    final = stitch(
        [
            chunk({"text": "a", "thoughtSignature": "AAAA"}),
            chunk({"text": "b"}),
            chunk({"text": "c", "thoughtSignature": "BBBB"}),
            chunk({"text": "d"}, finishReason="STOP"),
        ]
    )
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert [(p.text, p.thought_signature) for p in parts] == [  # type: ignore[union-attr]
        ("ab", b"\x00\x00\x00"),
        ("cd", b"\x04\x10A"),
    ]


def test_signature_arriving_later_in_a_run_is_kept_on_the_run() -> None:
    final = stitch([chunk({"text": "a"}), chunk({"text": "b", "thoughtSignature": "AAAA"})])
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert [(p.text, p.thought_signature) for p in parts] == [("ab", b"\x00\x00\x00")]  # type: ignore[union-attr]


def test_empty_text_with_signature_is_its_own_part() -> None:
    final = stitch([chunk({"text": "hi"}), chunk({"text": "", "thoughtSignature": "AAAA"}), chunk({"text": "!"})])
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert [(p.text, p.thought_signature) for p in parts] == [  # type: ignore[union-attr]
        ("hi", None),
        ("", b"\x00\x00\x00"),
        ("!", None),
    ]


def test_candidates_are_routed_by_index() -> None:
    final = stitch(
        [
            chunk({"text": "a0"}, index=0),
            chunk({"text": "b1"}, index=1),
            chunk({"text": "a0+"}, index=0, finishReason="STOP"),
            chunk({"text": "b1+"}, index=1, finishReason="MAX_TOKENS"),
        ]
    )
    assert final.candidates is not None
    assert [c.content.parts[0].text for c in final.candidates] == ["a0a0+", "b1b1+"]  # type: ignore[union-attr,index]
    assert [c.finish_reason for c in final.candidates] == ["STOP", "MAX_TOKENS"]


def test_inline_data_pieces_are_not_concatenated() -> None:
    final = stitch(
        [
            chunk({"inlineData": {"mimeType": "audio/pcm", "data": "AAAA"}}),
            chunk({"inlineData": {"mimeType": "audio/pcm", "data": "BBBB"}}, finishReason="STOP"),
        ]
    )
    parts = final.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert parts is not None and len(parts) == 2


def test_different_response_id_raises_with_partial() -> None:
    acc = Accumulator()
    acc.add(chunk({"text": "a"}, rid="one"))
    with pytest.raises(errors.StreamError) as info:
        acc.add(chunk({"text": "b"}, rid="two"))
    assert info.value.partial is not None and info.value.partial.text == "a"


def test_unfinished_and_blocked_flags() -> None:
    acc = Accumulator()
    acc.add(chunk({"text": "a"}))
    assert acc.unfinished == [0] and not acc.blocked
    acc.add(chunk({"text": "b"}, finishReason="STOP"))
    assert acc.unfinished == []
    blocked = Accumulator()
    for c in chunks_of("stream_prompt_blocked.sse"):
        blocked.add(c)
    assert blocked.blocked and blocked.result().candidates is None


def test_a_long_run_is_kept_in_blocks_and_stitched_exactly() -> None:
    acc = Accumulator()
    want: list[str] = []
    for i in range(1000):
        text = f"<{i}>é"
        want.append(text)
        part = types.Part(text=text)
        acc.add(
            types.GenerateContentResponse(
                candidates=[types.Candidate(content=types.Content(role="model", parts=[part]))]
            )
        )
        if i % 97 == 0:
            assert acc.result().text == "".join(want)  # partial results along the way
        run = acc._cands[0].run
        assert run is not None and len(run.fragments) <= 16 + run.joined
    assert run.joined < 1000 // 16 + 2  # one string per 16 chunks, not one per chunk
    final = acc.result()
    assert final.text == "".join(want)
    assert acc._cands[0].run.fragments == [final.text]  # after result(): one shared string


def test_every_candidate_field_but_content_and_index_is_stitched_last_wins() -> None:
    # _LAST_WINS and the check written out in _CandidateState.add must name the same fields, and with
    # content and index they must cover the whole Candidate: a field missing from either is dropped.
    from genai_async._accumulate import _LAST_WINS

    fields = {f.name for f in msgspec.structs.fields(types.Candidate)}
    assert set(_LAST_WINS) == fields - {"content", "index"}
    samples = {
        "finish_reason": "STOP", "finish_message": "m", "safety_ratings": [], "citation_metadata": {},
        "token_count": 3, "grounding_metadata": {}, "grounding_attributions": [], "avg_logprobs": -0.5,
        "logprobs_result": {}, "url_context_metadata": {}, "continuation_token": b"tok",
    }  # fmt: skip
    assert set(samples) == set(_LAST_WINS)
    for name, value in samples.items():
        wire = name.split("_")[0] + "".join(w.title() for w in name.split("_")[1:])
        cand = msgspec.convert({"index": 0, wire: value}, types.Candidate)
        acc = Accumulator()
        acc.add(types.GenerateContentResponse(candidates=[cand]))
        assert getattr(acc.result().candidates[0], name) == getattr(cand, name), name
