"""Client-side limits over a real socket: in-flight slots, rate buckets, aclose with open streams."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import genai_async
from genai_async import errors
from genai_async._limits import TokenBucket
from tests.conftest import Scripted, fixture_json
from tests.integration.test_stream import events_of

MODEL = "gemini-3.5-flash"


async def test_max_in_flight_caps_concurrent_requests(server: Scripted) -> None:
    active = peak = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return web.json_response(fixture_json("generate_text.json"))

    server.handler = handler
    async with genai_async.Client(api_key="k", base_url=server.base_url, max_in_flight=3) as client:
        await asyncio.gather(*(client.models.generate_content(model=MODEL, contents="x") for _ in range(12)))
    assert peak == 3 and len(server.requests) == 12


async def test_open_stream_holds_its_slot_until_closed(server: Scripted) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, max_in_flight=1) as client:
        stream = await client.models.generate_content_stream(model=MODEL, contents="x")
        second = asyncio.ensure_future(client.models.generate_content_stream(model=MODEL, contents="x").__anext__())
        await asyncio.sleep(0.1)
        assert not second.done() and len(server.requests) == 1
        await stream.aclose()
        await asyncio.wait_for(second, 5)
        assert len(server.requests) == 2


async def test_waiting_for_a_slot_is_cancellable(server: Scripted) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, max_in_flight=1) as client:
        stream = await client.models.generate_content_stream(model=MODEL, contents="x")
        waiting = asyncio.ensure_future(client.models.generate_content(model=MODEL, contents="x"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await stream.aclose()
        server.reply_json(fixture_json("generate_text.json"))
        assert (await client.models.generate_content(model=MODEL, contents="x")).text  # the slot came back


async def test_requests_per_minute_spaces_requests(server: Scripted) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, requests_per_minute=600) as client:
        client._limiter._requests._tokens = 0  # type: ignore[union-attr]  # start empty: 10 per second
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(3):
            await client.models.generate_content(model=MODEL, contents="x")
        assert loop.time() - start >= 0.25


def test_token_bucket_arithmetic() -> None:
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])
    assert bucket.wait_time(60) == 0
    bucket._tokens = 0
    assert bucket.wait_time(1) == pytest.approx(1.0)
    now[0] = 30
    assert bucket.wait_time(30) == 0
    assert bucket.wait_time(1000) == pytest.approx(30)  # never more than one minute's worth is asked
    with pytest.raises(errors.ConfigurationError):
        TokenBucket(0)


async def test_aclose_ends_open_streams_with_a_clear_error(server: Scripted) -> None:
    server.reply_stream(events_of("stream_text.sse"), pause=0.2)
    client = genai_async.Client(api_key="k", base_url=server.base_url)
    stream = client.models.generate_content_stream(model=MODEL, contents="x")
    await stream.__anext__()

    async def close_soon() -> None:
        await asyncio.sleep(0.05)
        await client.aclose()

    closer = asyncio.create_task(close_soon())
    with pytest.raises(errors.StreamError, match="aclose") as info:
        async for _ in stream:
            pass
    await closer
    assert info.value.partial is not None
    assert client.open_connections == 0
