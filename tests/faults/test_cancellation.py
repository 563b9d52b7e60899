"""Cancellation at every await point of a stream, and aclose() with streams open.

Each test cancels the consuming task while it is parked at one await point: waiting for headers,
between chunks, in a retry backoff, or for a ``max_in_flight`` slot. Afterwards the connection is
closed (never pooled half-read), the slot is free, no task is left behind, and the client still
works. Servers run in their own thread, so ``asyncio.all_tasks()`` shows only the client's tasks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest

import genai_async
from genai_async import errors
from tests.waiting import parked, wait_until

from .conftest import (
    FaultServer,
    checked_out,
    collect,
    error_plan,
    joined,
    new_client,
    no_leaks,
    ok_plan,
    open_stream,
    sse,
    text_events,
)

SLOW_RETRY = {"initial_delay": 30.0, "max_delay": 60.0, "jitter": 0.0, "attempts": 3}
"""A backoff far longer than any test: a task found asleep in it is parked there."""


@pytest.fixture
async def client(fault_server: FaultServer) -> AsyncIterator[genai_async.Client]:
    async with new_client(fault_server.base_url, timeout=5) as c:
        yield c


async def cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def error_of(awaitable: Awaitable[Any]) -> BaseException:
    try:
        await awaitable
    except Exception as exc:
        return exc
    raise AssertionError("no error")


async def next_request_works(client: genai_async.Client, server: FaultServer) -> None:
    server.queue(ok_plan(["still ", "works"]))
    async with no_leaks(client, pooled=1):
        chunks, exc = await asyncio.wait_for(collect(client), 5)
    assert exc is None and joined(chunks) == "still works"


@pytest.mark.parametrize("how", ["await", "async for"])
async def test_cancel_while_waiting_for_headers(
    client: genai_async.Client, fault_server: FaultServer, how: str
) -> None:
    fault_server.queue([("sleep", 30)])  # the server holds the request and sends nothing

    async def consume() -> None:
        stream = open_stream(client)
        if how == "await":
            await stream
        else:
            async for _ in stream:
                pass

    async with no_leaks(client, pooled=0):
        task = asyncio.create_task(consume())
        await wait_until(lambda: len(fault_server.requests) == 1 and checked_out(client) == 1)
        await cancel(task)
    await next_request_works(client, fault_server)


async def test_cancel_mid_stream(client: genai_async.Client, fault_server: FaultServer) -> None:
    first = text_events(["one "], finish=None)[0]
    fault_server.queue([("head",), ("write", first), ("hang",)])
    got: list[str | None] = []

    async def consume() -> None:
        async for chunk in open_stream(client):
            got.append(chunk.text)

    async with no_leaks(client, pooled=0):
        task = asyncio.create_task(consume())
        await wait_until(lambda: got == ["one "])
        await cancel(task)
    await next_request_works(client, fault_server)


@pytest.mark.parametrize("where", ["503 before headers", "error event before the first chunk"])
async def test_cancel_during_retry_backoff(
    fault_server: FaultServer, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    if where == "503 before headers":
        fault_server.queue(error_plan(503, "UNAVAILABLE"))  # Client._send sleeps before attempt 2
    else:
        inband = sse({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
        fault_server.queue([("head",), ("write", inband)])  # ResponseStream._restart sleeps before attempt 2
    async with new_client(fault_server.base_url, timeout=5, retry=SLOW_RETRY) as client:
        with caplog.at_level(logging.INFO, logger="genai_async"):
            # The error body was read to its end, so its connection may sit idle in the pool.
            async with no_leaks(client):
                task = asyncio.create_task(collect(client))
                # Parked in the backoff: the failed response is closed and nothing else is sent.
                await wait_until(
                    lambda: len(fault_server.requests) == 1 and checked_out(client) == 0 and not client._transport._live
                )
                await parked(task)
                assert len(fault_server.requests) == 1
                if where == "503 before headers":
                    assert any(" in 30.00s " in m for m in caplog.messages)
                await cancel(task)
        assert len(fault_server.requests) == 1
        await next_request_works(client, fault_server)


async def test_cancel_while_waiting_for_an_in_flight_slot(fault_server: FaultServer) -> None:
    first = text_events(["held "], finish=None)[0]
    fault_server.queue([("head",), ("write", first), ("hang",)])
    async with new_client(fault_server.base_url, timeout=5, max_in_flight=1) as client:
        async with no_leaks(client, pooled=0):
            holder = open_stream(client)
            assert (await holder.__anext__()).text == "held "
            waiter = asyncio.create_task(collect(client))
            await parked(waiter)
            assert len(fault_server.requests) == 1  # parked on the slot
            await cancel(waiter)
            await holder.aclose()
        await next_request_works(client, fault_server)  # the one slot came back


async def test_aclose_ends_open_streams_with_a_clear_stream_error(fault_server: FaultServer) -> None:
    """Three streams open at once: one parked in a read, one idle between chunks, one waiting to be read."""
    first = text_events(["a "], finish=None)[0]
    for _ in range(3):
        fault_server.queue([("head",), ("write", first), ("hang",)])
    client = new_client(fault_server.base_url, timeout=5)
    async with no_leaks(client, pooled=0):
        reading, idle, fresh = open_stream(client), open_stream(client), open_stream(client)
        for stream in (reading, idle):
            assert (await stream.__anext__()).text == "a "
        await fresh  # opened (headers in), nothing read yet
        reader = asyncio.create_task(reading.__anext__())
        await parked(reader)
        await client.aclose()
        ended = [await error_of(reader), await error_of(idle.__anext__()), await error_of(fresh.__anext__())]
        for exc in ended:
            assert isinstance(exc, errors.StreamError), exc
            assert "closed with aclose()" in str(exc)
        assert [e.partial.text if e.partial else None for e in ended] == ["a ", "a ", None]  # type: ignore[attr-defined]
        assert client.open_connections == 0
    with pytest.raises(errors.GenAIError, match="closed with aclose"):
        await open_stream(client)
    await client.aclose()  # idempotent


async def test_aclose_while_a_stream_waits_for_headers(fault_server: FaultServer) -> None:
    fault_server.queue([("sleep", 30)])
    client = new_client(fault_server.base_url, timeout=5)
    async with no_leaks(client, pooled=0):
        task = asyncio.create_task(collect(client))
        await wait_until(lambda: len(fault_server.requests) == 1)
        await client.aclose()
        chunks, exc = await asyncio.wait_for(task, 5)
    assert chunks == [] and type(exc) is errors.StreamError
    assert "closed with aclose()" in str(exc), exc


@pytest.mark.parametrize("end", ["aclose", "error"])
async def test_an_ended_stream_yields_nothing_more(
    client: genai_async.Client, fault_server: FaultServer, end: str
) -> None:
    one, two, three = text_events(["one ", "two ", "three"], finish=None)
    error = sse({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
    body = one + two + three if end == "aclose" else one + error + two
    fault_server.queue([("head",), ("write", body), ("hang",)])  # one write: one read holds every event
    stream = await open_stream(client)
    await wait_until(lambda: fault_server.written == 1)  # out of the server over loopback: in our socket
    for _ in range(3):  # a turn of the loop reads what the socket holds
        await asyncio.sleep(0)
    assert (await stream.__anext__()).text == "one "
    if end == "aclose":
        await stream.aclose()
    else:
        with pytest.raises(errors.ServerError):
            await stream.__anext__()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_stream_aclose_from_another_task_while_it_opens(fault_server: FaultServer) -> None:
    """The answer arrives after aclose(): nothing is yielded, the reader learns why, the late
    response is closed and its max_in_flight slot comes back."""
    fault_server.queue([("sleep", 0.3), *ok_plan(["late ", "answer"])])
    client = new_client(fault_server.base_url, timeout=5, max_in_flight=1)
    async with no_leaks(client):  # (whether aiohttp pooled the connection depends on how much had arrived)
        stream = open_stream(client)

        async def consume() -> None:
            async for _ in stream:
                raise AssertionError("a chunk after aclose()")

        task = asyncio.create_task(consume())
        await wait_until(lambda: len(fault_server.requests) == 1)
        await stream.aclose()
        exc = await error_of(asyncio.wait_for(task, 5))
        assert type(exc) is errors.StreamError and "closed with aclose()" in str(exc), exc
    await next_request_works(client, fault_server)
    await client.aclose()


async def test_stream_aclose_from_another_task_while_a_read_waits(
    client: genai_async.Client, fault_server: FaultServer
) -> None:
    first = text_events(["a "], finish=None)[0]
    fault_server.queue([("head",), ("write", first), ("hang",)])
    async with no_leaks(client, pooled=0):
        stream = await open_stream(client)
        assert (await stream.__anext__()).text == "a "
        reader = asyncio.create_task(stream.__anext__())
        await parked(reader)
        await stream.aclose()
        exc = await error_of(reader)
        # not a ConnectionError: nothing went wrong on the network, and it is not worth a retry
        assert type(exc) is errors.StreamError and "closed with aclose()" in str(exc), exc
        assert exc.partial is not None and exc.partial.text == "a "  # type: ignore[attr-defined]
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
    await next_request_works(client, fault_server)
