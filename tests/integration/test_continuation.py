"""finishReason CONTINUATION is followed into one seamless answer (unary and stream), usage summed."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest
from aiohttp import web

import genai_async
from genai_async import _accumulate
from tests.conftest import Scripted

MODEL = "gemini-3.5-flash"
TOKEN = base64.b64encode(b"resume-here").decode()


def hop(text: str, rid: str, *, finish: str, token: str | None = None, usage: int = 10) -> dict:
    cand: dict = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0, "finishReason": finish}
    if token:
        cand["continuationToken"] = token
    return {
        "candidates": [cand],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": usage, "totalTokenCount": 5 + usage},
        "responseId": rid,
        "modelVersion": MODEL,
    }


def serve_hops(server: Scripted, *, stream: bool) -> None:
    answers = [hop("first half, ", "r1", finish="CONTINUATION", token=TOKEN), hop("second half.", "r2", finish="STOP")]

    async def handler(request: web.Request) -> web.StreamResponse:
        body = answers.pop(0)
        if not stream:
            return web.json_response(body)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        text = body["candidates"][0]["content"]["parts"][0]["text"]
        first = json.loads(json.dumps(body))
        first["candidates"][0].pop("finishReason")
        first["candidates"][0].pop("continuationToken", None)
        first["candidates"][0]["content"]["parts"][0]["text"] = text[:5]
        body["candidates"][0]["content"]["parts"][0]["text"] = text[5:]
        for event in (first, body):
            await resp.write(b"data: " + json.dumps(event).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp

    server.handler = handler


async def test_unary_continuation_is_one_answer(server: Scripted, client: genai_async.Client) -> None:
    serve_hops(server, stream=False)
    r = await client.models.generate_content(model=MODEL, contents="long")
    assert r.text == "first half, second half."
    assert r.candidates[0].finish_reason == "STOP"  # type: ignore[index]
    assert r.candidates[0].continuation_token is None  # type: ignore[index]
    assert r.usage_metadata.candidates_token_count == 20 and r.usage_metadata.total_token_count == 30  # type: ignore[union-attr]
    assert len(server.requests) == 2
    assert "continuationToken" not in server.requests[0]["json"]
    assert server.requests[1]["json"]["continuationToken"] == TOKEN
    assert server.requests[1]["json"]["contents"] == server.requests[0]["json"]["contents"]


async def test_stream_continuation_is_seamless(server: Scripted, client: genai_async.Client) -> None:
    serve_hops(server, stream=True)
    stream = client.models.generate_content_stream(model=MODEL, contents="long")
    texts = [c.text async for c in stream]
    assert "".join(t or "" for t in texts) == "first half, second half."
    assert len(texts) == 4
    final = stream.response
    assert final.text == "first half, second half."
    assert len(final.candidates[0].content.parts) == 1  # type: ignore[index,union-attr,arg-type]
    assert final.response_id == "r1"
    assert final.usage_metadata.total_token_count == 30  # type: ignore[union-attr]
    assert server.requests[1]["json"]["continuationToken"] == TOKEN
    assert client.open_connections <= 1


async def test_opt_out_returns_the_first_hop(server: Scripted, client: genai_async.Client) -> None:
    serve_hops(server, stream=False)
    r = await client.models.generate_content(model=MODEL, contents="long", config={"auto_continue": False})
    assert r.text == "first half, " and r.candidates[0].finish_reason == "CONTINUATION"  # type: ignore[index]
    assert len(server.requests) == 1


async def test_a_hop_reopens_only_the_candidate_that_stopped_with_continuation(
    server: Scripted, client: genai_async.Client
) -> None:
    """Candidate 1 finished in the first hop; the second hop continues candidate 0 only."""
    first = hop("zero, ", "r1", finish="CONTINUATION", token=TOKEN)
    first["candidates"].append(
        {"content": {"role": "model", "parts": [{"text": "one."}]}, "index": 1, "finishReason": "STOP"}
    )
    answers = [first, hop("zero done.", "r2", finish="STOP")]

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + json.dumps(answers.pop(0)).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp

    server.handler = handler
    stream = client.models.generate_content_stream(model=MODEL, contents="long")
    async for _ in stream:
        pass
    cands = stream.response.candidates or []
    assert [(c.index, c.finish_reason) for c in cands] == [(0, "STOP"), (1, "STOP")]
    assert cands[0].content.parts[0].text == "zero, zero done."  # type: ignore[union-attr, index]
    assert len(server.requests) == 2


async def test_a_hop_that_fails_before_its_first_chunk_is_retried(server: Scripted) -> None:
    """As a first request is: nothing of the hop was yielded yet, so nothing is replayed."""
    answers = [hop("first half, ", "r1", finish="CONTINUATION", token=TOKEN)]

    async def handler(request: web.Request) -> web.StreamResponse:
        if len(server.requests) == 2:
            return web.json_response(
                {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}, status=503
            )
        body = answers.pop(0) if answers else hop("second half.", "r2", finish="STOP")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + json.dumps(body).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp

    server.handler = handler
    async with genai_async.Client(
        api_key="k", base_url=server.base_url, retry={"initial_delay": 0.01, "attempts": 3}
    ) as client:
        stream = client.models.generate_content_stream(model=MODEL, contents="long")
        texts = [c.text async for c in stream]
    assert texts == ["first half, ", "second half."] and len(server.requests) == 3
    assert [r["json"].get("continuationToken") for r in server.requests] == [None, TOKEN, TOKEN]


async def test_max_hops_means_hops_for_unary_and_stream_alike(
    server: Scripted, client: genai_async.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server that answers CONTINUATION forever: both paths send the first request and exactly
    # MAX_HOPS hops, then fail naming the endpoint (one rule, in _accumulate).
    monkeypatch.setattr(_accumulate, "MAX_HOPS", 3)

    def looping(stream: bool) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            body = hop("more ", f"r{len(server.requests)}", finish="CONTINUATION", token=TOKEN)
            if not stream:
                return web.json_response(body)
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(b"data: " + json.dumps(body).encode() + b"\r\n\r\n")
            await resp.write_eof()
            return resp

        server.handler = handler

    looping(stream=False)
    with pytest.raises(genai_async.errors.StreamError, match=r":generateContent: still CONTINUATION after 3 hops"):
        await client.models.generate_content(model=MODEL, contents="long")
    assert len(server.requests) == 1 + 3

    server.requests.clear()
    looping(stream=True)
    chunks = []
    with pytest.raises(
        genai_async.errors.StreamError, match=r":streamGenerateContent: still CONTINUATION after 3 hops"
    ) as info:
        async for chunk in client.models.generate_content_stream(model=MODEL, contents="long"):
            chunks.append(chunk)
    assert len(server.requests) == 1 + 3 and len(chunks) == 4
    assert info.value.partial.text == "more " * 4  # type: ignore[attr-defined]


def test_the_unary_shortcut_and_the_accumulator_read_continuation_alike() -> None:
    from genai_async.types import GenerateContentResponse

    for finish, token in (("CONTINUATION", TOKEN), ("CONTINUATION", None), ("STOP", TOKEN), (None, None)):
        body = hop("x", "r", finish=finish or "STOP", token=token)
        if finish is None:
            body["candidates"][0].pop("finishReason")
        response = msgspec.json.decode(json.dumps(body), type=GenerateContentResponse)
        acc = _accumulate.Accumulator()
        acc.add(response)
        assert _accumulate.continuation_token(response) == acc.continuation()
    assert _accumulate.continuation_token(GenerateContentResponse()) is None
