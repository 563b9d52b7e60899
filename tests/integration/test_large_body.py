"""Large request bodies (an inline image of a few MiB) are sent without aiohttp's
``ResourceWarning: Sending a large body directly with raw bytes might lock the event loop``, which
pytest's ``filterwarnings = error`` (and many users' settings) turn into a failed call."""

from __future__ import annotations

import base64
import os
import warnings

import pytest

import genai_async
from genai_async import types
from genai_async.emulator import running
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024)  # 2 MiB inline: a ~2.8 MB JSON body


def _image() -> list[object]:
    return ["What is in this picture?", types.Part.from_bytes(data=PNG, mime_type="image/png")]


async def test_unary_large_inline_image_sends_without_warning(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under -W error, whatever pytest's own setting
        r = await client.models.generate_content(model=MODEL, contents=_image())
    assert r.text
    (req,) = server.requests
    assert int(req["headers"]["Content-Length"]) == len(req["body"]) > 2 * 1024 * 1024
    sent = req["json"]["contents"][0]["parts"][1]["inlineData"]
    assert sent["mimeType"] == "image/png" and base64.b64decode(sent["data"]) == PNG
    assert client.open_connections == 1  # back in the pool


async def test_stream_large_inline_image_sends_without_warning(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream(
        [b'data: {"candidates": [{"content": {"parts": [{"text": "a cat"}]}, "finishReason": "STOP"}]}\r\n\r\n']
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with client.models.generate_content_stream(model=MODEL, contents=_image()) as stream:
            texts = [chunk.text async for chunk in stream]
    assert texts == ["a cat"]
    assert base64.b64decode(server.requests[0]["json"]["contents"][0]["parts"][1]["inlineData"]["data"]) == PNG


async def test_large_body_is_resent_whole_on_retry(server: Scripted) -> None:
    from aiohttp import web

    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.json_response({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}, status=503)
        return web.json_response(fixture_json("generate_text.json"))

    server.handler = handler
    retry = {"attempts": 2, "initial_delay": 0.0, "jitter": 0}
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=retry) as client:
        await client.models.generate_content(model=MODEL, contents=_image())
    first, second = server.requests
    assert first["body"] == second["body"] and len(first["body"]) > 2 * 1024 * 1024


@pytest.mark.parametrize("stream", [False, True])
async def test_large_inline_image_against_the_emulator(stream: bool) -> None:
    async with running() as emu, genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        if stream:
            async with client.models.generate_content_stream(model=MODEL, contents=_image()) as s:
                async for _ in s:
                    pass
            r = s.response
        else:
            r = await client.models.generate_content(model=MODEL, contents=_image())
        assert r.text
        assert emu.requests[-1].json["contents"][0]["parts"][1]["inlineData"]["mimeType"] == "image/png"


async def test_cancelled_while_sending_a_large_body_releases_the_connection() -> None:
    import asyncio

    from aiohttp import web

    arrived = asyncio.Event()
    never = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        arrived.set()  # headers are in; the body is never read, so the client's send stalls
        await never.wait()
        return web.Response()

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with genai_async.Client(api_key="k", base_url=f"http://127.0.0.1:{port}", retry=False) as client:
            task = asyncio.create_task(client.models.generate_content(model=MODEL, contents=_image()))
            await asyncio.wait_for(arrived.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not client._transport._live
            assert client.open_connections == 0  # the half-sent request's connection was closed, not pooled
    finally:
        await runner.cleanup()
