"""Retries over a real socket: what is retried, what is not, hints honoured, streams after output."""

from __future__ import annotations

import json
import logging
import re
import socket

import pytest
from aiohttp import web

import genai_async
from genai_async import errors
from tests.conftest import Scripted, fixture_bytes, fixture_json
from tests.integration.test_stream import events_of

MODEL = "gemini-3.5-flash"
FAST = {"initial_delay": 0.01, "max_delay": 1.0}


def error_response(code: int, extra_details: list | None = None, headers: dict | None = None) -> web.Response:
    body = {"error": {"code": code, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    if extra_details:
        body["error"]["details"] = extra_details
    return web.json_response(body, status=code, headers=headers)


def sequence(server: Scripted, *responses: object) -> None:
    """Answer request i with responses[i] (a web.Response factory or a list of SSE pieces)."""
    queue = list(responses)

    async def handler(request: web.Request) -> web.StreamResponse:
        item = queue.pop(0)
        if callable(item):
            return item()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in item:  # type: ignore[attr-defined]
            await resp.write(piece)
        await resp.write_eof()
        return resp

    server.handler = handler


@pytest.fixture
async def fast_client(server: Scripted):
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=FAST) as c:
        yield c


async def test_503_then_success_gives_one_answer(server: Scripted, fast_client, caplog) -> None:
    ok = fixture_json("generate_text.json")
    sequence(server, lambda: error_response(503), lambda: web.json_response(ok))
    with caplog.at_level(logging.INFO, logger="genai_async"):
        r = await fast_client.models.generate_content(model=MODEL, contents="x")
    assert r.text and len(server.requests) == 2
    assert any("retrying POST" in m and "HTTP 503" in m for m in caplog.messages)
    assert all("k" != m for m in caplog.messages)


async def test_429_retry_info_delay_is_honoured(server: Scripted, fast_client) -> None:
    info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.2s"}]
    sequence(server, lambda: error_response(429, info), lambda: web.json_response(fixture_json("generate_text.json")))
    loop = __import__("asyncio").get_running_loop()
    start = loop.time()
    await fast_client.models.generate_content(model=MODEL, contents="x")
    assert loop.time() - start >= 0.2


async def test_exhausted_attempts_are_on_the_error(server: Scripted) -> None:
    sequence(server, *[lambda: error_response(503)] * 3)
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry={**FAST, "attempts": 3}) as c:
        with pytest.raises(errors.ServerError) as info:
            await c.models.generate_content(model=MODEL, contents="x")
    assert info.value.attempts == 3 and len(server.requests) == 3


async def test_retry_false_and_per_request_off(server: Scripted) -> None:
    sequence(server, lambda: error_response(503), lambda: error_response(503))
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as c:
        with pytest.raises(errors.ServerError):
            await c.models.generate_content(model=MODEL, contents="x")
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=FAST) as c:
        with pytest.raises(errors.ServerError) as info:
            await c.models.generate_content(
                model=MODEL, contents="x", config={"http_options": {"retry_options": {"attempts": 1}}}
            )
    assert info.value.attempts == 1 and len(server.requests) == 2


async def test_official_http_options_retry_shape(server: Scripted) -> None:
    sequence(server, lambda: error_response(500), lambda: web.json_response(fixture_json("generate_text.json")))
    opts = {"base_url": server.base_url, "retry_options": {"attempts": 2, "initial_delay": 0.01}}
    async with genai_async.Client(api_key="k", http_options=opts) as c:
        assert (await c.models.generate_content(model=MODEL, contents="x")).text


async def test_400_is_never_retried(server: Scripted, fast_client) -> None:
    sequence(server, lambda: web.json_response(fixture_json("error_400.json"), status=400))
    with pytest.raises(errors.ClientError):
        await fast_client.models.generate_content(model=MODEL, contents="x")
    assert len(server.requests) == 1


async def test_connection_refused_is_retried_then_surfaces() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with genai_async.Client(api_key="k", base_url=f"http://127.0.0.1:{port}", retry={**FAST, "attempts": 3}) as c:
        with pytest.raises(errors.ConnectionError) as info:
            await c.models.generate_content(model=MODEL, contents="x")
    assert info.value.attempts == 3 and not info.value.request_sent


async def test_post_dropped_after_sending_is_not_retried(server: Scripted, fast_client) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    server.handler = handler
    with pytest.raises(errors.ConnectionError) as info:
        await fast_client.models.generate_content(model=MODEL, contents="x")
    assert info.value.request_sent and info.value.attempts == 1
    assert len(server.requests) == 1


async def test_stream_503_before_headers_is_retried(server: Scripted, fast_client) -> None:
    sequence(server, lambda: error_response(503), events_of("stream_text.sse"))
    stream = fast_client.models.generate_content_stream(model=MODEL, contents="x")
    assert len([c async for c in stream]) == 9


async def test_stream_inband_error_before_first_chunk_is_retried(server: Scripted, fast_client) -> None:
    inband = events_of("stream_error_midstream.sse")[-1]
    sequence(server, [inband], events_of("stream_text.sse"))
    stream = fast_client.models.generate_content_stream(model=MODEL, contents="x")
    assert len([c async for c in stream]) == 9
    assert len(server.requests) == 2


async def test_stream_error_after_first_chunk_is_not_retried(server: Scripted, fast_client) -> None:
    sequence(server, events_of("stream_error_midstream.sse"), events_of("stream_text.sse"))
    got = []
    with pytest.raises(errors.ServerError) as info:
        async for chunk in fast_client.models.generate_content_stream(model=MODEL, contents="x"):
            got.append(chunk)
    assert len(got) == 3 and len(server.requests) == 1
    assert info.value.partial is not None and info.value.partial.text


async def test_html_502_is_retried(server: Scripted, fast_client) -> None:
    sequence(
        server,
        lambda: web.Response(text="<html>502 Bad Gateway</html>", status=502, content_type="text/html"),
        lambda: web.json_response(json.loads(fixture_bytes("generate_text.json"))),
    )
    assert (await fast_client.models.generate_content(model=MODEL, contents="x")).text


async def test_unary_and_stream_retries_are_decided_and_logged_once_by_the_one_rule(
    server: Scripted, fast_client, caplog
) -> None:
    # Client._retry_delay is the only place that asks the policy and logs: one line per retry,
    # naming the method, the endpoint and the attempt, whether the call was unary or streamed.
    ok = fixture_json("generate_text.json")
    sequence(server, lambda: error_response(503), lambda: web.json_response(ok))
    with caplog.at_level(logging.INFO, logger="genai_async"):
        await fast_client.models.generate_content(model=MODEL, contents="x")
    unary = [m for m in caplog.messages if "retrying" in m]
    caplog.clear()
    sequence(server, lambda: error_response(503), events_of("stream_text.sse"))
    with caplog.at_level(logging.INFO, logger="genai_async"):
        assert len([c async for c in fast_client.models.generate_content_stream(model=MODEL, contents="x")]) == 9
    streamed = [m for m in caplog.messages if "retrying" in m]
    assert len(unary) == 1 and len(streamed) == 1
    assert "retrying POST" in unary[0] and ":generateContent" in unary[0] and "HTTP 503" in unary[0]
    assert "retrying POST" in streamed[0] and ":streamGenerateContent" in streamed[0] and "HTTP 503" in streamed[0]

    def shape(message: str, method: str) -> str:  # the delay is jittered: compare the rest
        return re.sub(r" in [0-9.]+s ", " in Ns ", message.replace(method, ""))

    assert shape(unary[0], ":generateContent") == shape(streamed[0], ":streamGenerateContent")
    assert "(attempt 1 failed: HTTP 503" in unary[0]
