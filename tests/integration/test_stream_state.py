"""ResponseStream's explicit state over a real socket: every move of the state machine
(opening -> reading -> ending -> finished / opening again for a hop; failed; closed) and what each
final state does with the connection and the close hook."""

from __future__ import annotations

import json
from typing import Any

import pytest

import genai_async
from genai_async import errors
from genai_async._streaming import _State
from tests.conftest import Scripted

MODEL = "gemini-3.5-flash"


def event(text: str, finish: str | None = None, token: str | None = None) -> bytes:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    if token:
        cand["continuationToken"] = token
    return b"data: " + json.dumps({"candidates": [cand]}).encode() + b"\r\n\r\n"


async def test_a_stream_moves_opening_reading_ending_finished(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream([event("a"), event("b", "STOP")])
    closes: list[tuple[bool, Any]] = []
    stream = client.models._stream(MODEL, None, _request, on_close=lambda done, stopped: closes.append((done, stopped)))
    assert stream._state is _State.OPENING and "not started" in repr(stream)
    await stream
    assert stream._state is _State.READING and stream._resp is not None
    assert (await stream.__anext__()).text == "a"
    assert (await stream.__anext__()).text == "b"
    assert stream._state is _State.READING  # the body's end is not read yet
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert stream._state is _State.FINISHED and stream._resp is None
    assert "finished, 2 chunks" in repr(stream)
    assert closes == [(True, None)]
    await stream.aclose()  # a final state stays as it is
    assert stream._state is _State.FINISHED and closes == [(True, None)]
    assert client.open_connections == 1  # read to its end: back in the pool


async def test_a_last_event_without_its_blank_line_is_delivered_while_ending(
    server: Scripted, client: genai_async.Client
) -> None:
    server.reply_stream([event("a"), event("b", "STOP")[:-4]])
    stream = await client.models.generate_content_stream(model=MODEL, contents="hi")
    assert (await stream.__anext__()).text == "a"
    assert (await stream.__anext__()).text == "b"  # cut out of the unterminated event at the end
    assert stream._state is _State.ENDING
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert stream._state is _State.FINISHED


async def test_a_continuation_hop_goes_back_to_opening(server: Scripted, client: genai_async.Client) -> None:
    bodies = [[event("a", "CONTINUATION", "dG9r")], [event("b", "STOP")]]

    async def handler(request: Any) -> Any:
        from aiohttp import web

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in bodies.pop(0):
            await resp.write(piece)
        await resp.write_eof()
        return resp

    server.handler = handler
    stream = await client.models.generate_content_stream(model=MODEL, contents="hi")
    assert (await stream.__anext__()).text == "a"
    assert (await stream.__anext__()).text == "b"  # ending -> opening (the hop) -> reading, in one call
    assert stream._state is _State.READING and stream._acc.hops == 1
    assert [chunk async for chunk in stream] == []
    assert stream._state is _State.FINISHED and stream.response.text == "ab"
    assert server.requests[1]["json"]["continuationToken"] == "dG9r"


async def test_stopping_early_is_closed_and_hands_the_hook_what_was_read(
    server: Scripted, client: genai_async.Client
) -> None:
    server.reply_stream([event("a"), event("b", "STOP")])
    closes: list[tuple[bool, Any]] = []
    stream = client.models._stream(MODEL, None, _request, on_close=lambda done, stopped: closes.append((done, stopped)))
    async with stream:
        assert (await stream.__anext__()).text == "a"
    assert stream._state is _State.CLOSED and stream._resp is None
    assert "closed before the end, 1 chunk" in repr(stream)
    assert len(closes) == 1 and closes[0][0] is False and closes[0][1].text == "a"
    assert [chunk async for chunk in stream] == []  # nothing more after a final state


async def test_an_error_is_failed_and_the_hook_gets_no_partial(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream([event("a")])  # the body ends without a finishReason
    closes: list[tuple[bool, Any]] = []
    stream = client.models._stream(MODEL, None, _request, on_close=lambda done, stopped: closes.append((done, stopped)))
    with pytest.raises(errors.StreamError, match="never got a finishReason") as caught:
        async for _ in stream:
            pass
    assert stream._state is _State.FAILED and stream._resp is None
    assert caught.value.partial is not None and caught.value.partial.text == "a"  # type: ignore[attr-defined]
    assert closes == [(False, None)]
    await stream.aclose()
    assert stream._state is _State.FAILED  # aclose() after a failure keeps the failure


async def test_an_exception_leaving_the_block_is_failed_not_closed(
    server: Scripted, client: genai_async.Client
) -> None:
    server.reply_stream([event("a"), event("b", "STOP")])
    closes: list[tuple[bool, Any]] = []
    stream = client.models._stream(MODEL, None, _request, on_close=lambda done, stopped: closes.append((done, stopped)))
    with pytest.raises(KeyError):
        async with stream:
            await stream.__anext__()
            raise KeyError("the caller's own error")
    assert stream._state is _State.FAILED
    assert closes == [(False, None)]


async def _request() -> Any:
    from genai_async._coerce import generate_request

    return generate_request("hi", None)


async def test_a_tool_stream_has_a_repr_in_every_state(server: Scripted, client: genai_async.Client) -> None:
    def double(x: int) -> int:
        """Twice x."""
        return 2 * x

    server.reply_stream([event("4", "STOP")])
    stream = client.models.generate_content_stream(model=MODEL, contents="hi", config={"tools": [double]})
    assert "not started" in repr(stream) and "automatic function calling" in repr(stream)
    assert [chunk.text async for chunk in stream] == ["4"]
    assert "finished, 1 chunk" in repr(stream)
    assert "finished, 1 chunk" in stream._repr_markdown_()
