"""streamGenerateContent: byte-level framing, chunk invariants, JSON-array mode and pacing."""

from __future__ import annotations

import json
import re
import time

import aiohttp

from genai_async.emulator import running

from .emulator_helpers import KEY, MODEL, Api, answer_text, sse_events, user

PROMPT = {"contents": [user("How does AI work?")]}


def joined_text(events: list[dict[str, object]], index: int = 0) -> str:
    out = []
    for event in events:
        for cand in event.get("candidates", []):  # type: ignore[attr-defined]
            if cand.get("index", 0) == index:
                out += [p.get("text", "") for p in cand.get("content", {}).get("parts", []) if not p.get("thought")]
    return "".join(out)


async def test_sse_framing_is_byte_exact(api: Api) -> None:
    result = await api.stream(PROMPT)
    assert result.status == 200
    assert result.headers["content-type"] == "text/event-stream"
    assert result.headers["x-gemini-service-tier"] == "standard"
    blocks = result.body.split(b"\r\n\r\n")
    assert blocks[-1] == b""
    for block in blocks[:-1]:
        assert re.fullmatch(rb'data: \{"candidates": \[\{"content": \{"parts": \[.*\],"role": "model"\}.*\}', block)
        assert b"\n" not in block and b"\r" not in block
    events = sse_events(result.body)
    assert len(events) > 2
    # one-line JSON formatted like the service: ": " after keys, bare "," between members
    assert b'"modelVersion": "gemini-3.5-flash","responseId": "' in blocks[0]


async def test_chunk_invariants(api: Api) -> None:
    events = sse_events((await api.stream(PROMPT)).body)
    assert len({e["responseId"] for e in events}) == 1
    assert {e["modelVersion"] for e in events} == {MODEL}
    finishes = [c.get("finishReason") for e in events for c in e["candidates"]]
    assert finishes[-1] == "STOP" and not any(finishes[:-1])
    usages = [e["usageMetadata"] for e in events]
    assert all("candidatesTokenCount" not in u for u in usages[:-1])
    assert len({u["promptTokenCount"] for u in usages}) == 1
    totals = [u["totalTokenCount"] for u in usages]
    assert totals == sorted(totals)
    last = usages[-1]
    assert (
        last["totalTokenCount"] == last["promptTokenCount"] + last["candidatesTokenCount"] + last["thoughtsTokenCount"]
    )


async def test_stream_matches_unary(api: Api) -> None:
    body = {
        "contents": [user("Why is the sky blue?")],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}, "candidateCount": 2},
    }
    unary = await api.generate(body)
    events = sse_events((await api.stream(body)).body)
    for index in (0, 1):
        assert joined_text(events, index) == answer_text(unary, index)
    assert events[-1]["usageMetadata"] == unary["usageMetadata"]
    assert events[-1]["responseId"] == unary["responseId"]
    finals = [c["index"] for e in events for c in e["candidates"] if "finishReason" in c]
    assert sorted(finals) == [0, 1]


async def test_thought_events_come_first_and_signature_on_first_answer_part(api: Api) -> None:
    body = {
        "contents": [user("Why is the sky blue?")],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }
    events = sse_events((await api.stream(body)).body)
    parts = [p for e in events for p in e["candidates"][0]["content"].get("parts", [])]
    kinds = [bool(p.get("thought")) for p in parts]
    assert kinds == sorted(kinds, reverse=True) and kinds[0]
    first_answer = parts[kinds.index(False)]
    assert "thoughtSignature" in first_answer
    assert sum("thoughtSignature" in p for p in parts) == 1
    thoughts = [e["usageMetadata"]["thoughtsTokenCount"] for e in events]
    assert thoughts == sorted(thoughts)
    assert (thoughts[-1] > thoughts[0]) == (kinds.count(True) > 1)  # grows per summary, then stays


async def test_usage_only_on_last_chunk(session: aiohttp.ClientSession) -> None:
    async with running(usage_on_every_chunk=False) as emu:
        events = sse_events((await Api(session, emu).stream(PROMPT)).body)
    assert all("usageMetadata" not in e for e in events[:-1])
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] > 0


async def test_chunk_tokens_and_lf_line_endings(session: aiohttp.ClientSession) -> None:
    async with running(chunk_tokens=4, sse_line_ending="\n") as emu:
        small = (await Api(session, emu).stream(PROMPT)).body
    async with running(chunk_tokens=16) as emu:
        large = sse_events((await Api(session, emu).stream(PROMPT)).body)
    assert b"\r" not in small
    small_events = sse_events(small, b"\n")
    assert len(small_events) > len(large)
    assert joined_text(small_events) == joined_text(large)


async def test_function_call_stream(api: Api) -> None:
    tool = {
        "functionDeclarations": [
            {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
            }
        ]
    }
    body = {
        "contents": [user("Weather in Zurich?")],
        "tools": [tool],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }
    events = sse_events((await api.stream(body)).body)
    last = events[-1]["candidates"][0]
    assert last["finishReason"] == "STOP" and last["finishMessage"] == "Model generated function call(s)."
    call = last["content"]["parts"][0]
    assert call["functionCall"] == {"name": "get_weather", "args": {"city": "Zurich"}}
    assert "thoughtSignature" in call
    assert events[0]["candidates"][0]["content"]["parts"][0]["thought"] is True


async def test_json_array_mode(api: Api) -> None:
    result = await api.stream(PROMPT, alt=None)
    assert result.status == 200
    assert result.headers["content-type"] == "application/json; charset=UTF-8"
    assert result.body.startswith(b'[{\n  "candidates"') and result.body.endswith(b"}\n]")
    elements = json.loads(result.body)
    assert result.body.count(b"\n,\r\n") == len(elements) - 1
    sse = sse_events((await api.stream(PROMPT)).body)
    assert elements == sse


async def test_time_to_first_chunk_and_pacing(session: aiohttp.ClientSession) -> None:
    async with running(time_to_first_chunk=0.3, tokens_per_second=400) as emu:
        url = f"{emu.base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
        started = time.monotonic()
        async with session.post(url, json=PROMPT, headers={"x-goog-api-key": KEY}) as resp:
            first = await resp.content.readuntil(b"\r\n\r\n")
            first_at = time.monotonic() - started
            rest = await resp.read()
        finished_at = time.monotonic() - started
    assert first.startswith(b"data: ")
    assert first_at >= 0.25  # generous: only a lower bound
    usage = sse_events(first + rest)[-1]["usageMetadata"]
    generated = usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    assert finished_at >= 0.25 + 0.8 * generated / 400
