"""Client-side limits over a real socket: in-flight slots, rate buckets, aclose with open streams."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import genai_async
from genai_async import errors
from tests.conftest import Scripted, fixture_json
from tests.integration.test_stream import events_of
from tests.waiting import FakeClock, parked, wait_until

MODEL = "gemini-3.5-flash"


async def test_max_in_flight_caps_concurrent_requests(server: Scripted) -> None:
    active = peak = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await wait_until(lambda: peak >= 3)  # held until three are in at once (however slow the machine)
        await asyncio.sleep(0.05)  # room for a fourth to arrive if the cap let one through (passing never waits on it)
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
        await parked(second)
        assert len(server.requests) == 1
        await stream.aclose()
        await asyncio.wait_for(second, 5)
        assert len(server.requests) == 2


async def test_waiting_for_a_slot_is_cancellable(server: Scripted) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, max_in_flight=1) as client:
        stream = await client.models.generate_content_stream(model=MODEL, contents="x")
        waiting = asyncio.ensure_future(client.models.generate_content(model=MODEL, contents="x"))
        await parked(waiting)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await stream.aclose()
        server.reply_json(fixture_json("generate_text.json"))
        assert (await client.models.generate_content(model=MODEL, contents="x")).text  # the slot came back


def _fake_windows(client: genai_async.Client) -> FakeClock:
    clock = FakeClock()
    for window in (client._limiter._requests, client._limiter._tokens):
        if window is not None:
            window._clock, window._sleep = clock, clock.sleep
    return clock


async def test_requests_per_minute_holds_in_every_window(server: Scripted) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, requests_per_minute=2) as client:
        clock = _fake_windows(client)
        for _ in range(5):
            await client.models.generate_content(model=MODEL, contents="x")
    assert len(server.requests) == 5 and clock.slept == [60.0, 60.0]  # 2, then 2 a minute later, then 1


async def test_tokens_per_minute_counts_the_true_usage_of_answers(server: Scripted) -> None:
    server.reply_json(fixture_json("generate_text.json"))  # usageMetadata.totalTokenCount: 77
    async with genai_async.Client(api_key="k", base_url=server.base_url, tokens_per_minute=80) as client:
        clock = _fake_windows(client)
        tokens = client._limiter._tokens
        assert tokens is not None
        await client.models.generate_content(model=MODEL, contents="x")  # estimated 13 (54 bytes / 4)
        assert tokens.used == 77  # the estimate became the true count
        await client.models.generate_content(model=MODEL, contents="x")  # 77 + 13 > 80: waits a minute
        assert clock.slept == [60.0] and tokens.used == 77
        server.reply_stream(events_of("stream_text.sse"))  # final totalTokenCount: 143
        async for _ in await client.models.generate_content_stream(model=MODEL, contents="x"):
            pass
        assert clock.slept == [60.0, 60.0] and tokens.used == 143
        client.report_usage(5)
        assert tokens.used == 148
        response = await _usage_of(client, server)  # waits until the stream's minute is over
        assert clock.slept == [60.0, 60.0, 60.0] and tokens.used == 77
        client.report_usage(response)  # (counted twice here on purpose: usage from "elsewhere")
        assert tokens.used == 154
        with pytest.raises(errors.ConfigurationError):
            client.report_usage("lots")


async def _usage_of(client: genai_async.Client, server: Scripted) -> object:
    server.reply_json(fixture_json("generate_text.json"))
    return await client.models.generate_content(model=MODEL, contents="x")


def test_report_usage_without_a_token_limit_is_a_no_op() -> None:
    client = genai_async.Client(api_key="k")
    client.report_usage(10)
    assert client._limiter._tokens is None


async def test_aclose_ends_open_streams_with_a_clear_error(server: Scripted) -> None:
    server.reply_stream(events_of("stream_text.sse"), pause=0.2)
    client = genai_async.Client(api_key="k", base_url=server.base_url)
    stream = client.models.generate_content_stream(model=MODEL, contents="x")
    await stream.__anext__()

    reader = asyncio.current_task()
    assert reader is not None

    async def close_soon() -> None:
        await parked(reader)  # in the read that waits for the next chunk
        await client.aclose()

    closer = asyncio.create_task(close_soon())
    with pytest.raises(errors.StreamError, match="aclose") as info:
        async for _ in stream:
            pass
    await closer
    assert info.value.partial is not None
    assert client.open_connections == 0
