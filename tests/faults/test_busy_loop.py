"""A busy event loop never turns received data into a read timeout (issue 15, item 3).

Scenario of the report: ``timeout=0.5``, the server's gaps are 0.2 s, and another task blocks the
loop for 0.8 s while the client waits. When the loop comes back, the silence watchdog is overdue
and the bytes (or the reset) the server sent meanwhile are already there: they must win, since the
server was never silent for 0.5 s. The blocking task is injected at a known point (after the first
chunk, or once the server holds the request), not timed.
"""

from __future__ import annotations

import asyncio
import time

import genai_async
from genai_async import errors
from tests.waiting import wait_until

from .conftest import (
    MODEL,
    PROMPT,
    FaultServer,
    Step,
    joined,
    new_client,
    no_leaks,
    open_stream,
    sse,
    text_events,
)

TIMEOUT, GAP, BLOCK = 0.5, 0.2, 0.8


def _block_the_loop() -> None:
    asyncio.get_running_loop().call_soon(time.sleep, BLOCK)  # another task's blocking call


async def _stream_blocking_after_first_chunk(
    client: genai_async.Client, *, block: bool = True
) -> tuple[list[str], BaseException | None]:
    texts: list[str] = []
    try:
        async for chunk in open_stream(client):
            texts.append(chunk.text or "")
            if len(texts) == 1 and block:
                _block_the_loop()
    except errors.GenAIError as exc:
        return texts, exc
    return texts, None


def _gapped(texts: list[str]) -> list[Step]:
    events = text_events(texts)
    plan: list[Step] = [("head",), ("write", events[0])]
    for event in events[1:]:
        plan += [("sleep", GAP), ("write", event)]
    return plan


async def test_a_stream_whose_chunks_came_during_the_lag_completes(fault_server: FaultServer) -> None:
    texts = ["one ", "two ", "three"]
    fault_server.queue(_gapped(texts))
    async with new_client(fault_server.base_url, timeout=TIMEOUT, retry=False) as client:
        async with no_leaks(client, pooled=1):
            got, exc = await _stream_blocking_after_first_chunk(client)
    assert exc is None and got == texts


async def test_a_reset_during_the_lag_stays_what_it_is_without_the_lag(fault_server: FaultServer) -> None:
    plan: list[Step] = [("head",), ("write", text_events(["one ", "two"])[0]), ("sleep", GAP), ("abort",)]
    fault_server.queue(plan, plan)
    async with new_client(fault_server.base_url, timeout=TIMEOUT, retry=False) as client:
        async with no_leaks(client, pooled=0):
            calm, calm_exc = await _stream_blocking_after_first_chunk(client, block=False)
            busy, busy_exc = await _stream_blocking_after_first_chunk(client)
    assert calm == busy == ["one "]
    assert type(calm_exc) is errors.StreamError and "was cut" in str(calm_exc)
    assert type(busy_exc) is type(calm_exc) and "was cut" in str(busy_exc) and "timeout" not in str(busy_exc)
    assert busy_exc.partial is not None and joined([busy_exc.partial]) == "one "


def _unary_reply() -> bytes:
    return sse({"candidates": [{"content": {"parts": [{"text": "done"}]}, "finishReason": "STOP"}]})


async def _unary_blocking_once_sent(client: genai_async.Client, server: FaultServer) -> object:
    sent = len(server.requests)
    call = asyncio.ensure_future(client.models.generate_content(model=MODEL, contents=PROMPT))
    await wait_until(lambda: len(server.requests) > sent or call.done())
    _block_the_loop()
    return await call


async def test_unary_headers_that_came_during_the_lag_are_read(fault_server: FaultServer) -> None:
    body = _unary_reply()[len(b"data: ") : -4]
    fault_server.queue([("sleep", GAP), ("error", 200, body, "application/json")])
    async with new_client(fault_server.base_url, timeout=TIMEOUT, retry=False) as client:
        async with no_leaks(client):
            response = await _unary_blocking_once_sent(client, fault_server)
    assert getattr(response, "text", None) == "done"


async def test_a_unary_reset_during_the_lag_is_a_connection_error(fault_server: FaultServer) -> None:
    fault_server.queue([("sleep", GAP), ("abort",)])
    async with new_client(fault_server.base_url, timeout=TIMEOUT, retry=False) as client:
        async with no_leaks(client, pooled=0):
            try:
                await _unary_blocking_once_sent(client, fault_server)
            except errors.GenAIError as exc:
                error: errors.GenAIError = exc
    assert type(error) is errors.ConnectionError


async def test_real_silence_under_lag_still_times_out(fault_server: FaultServer) -> None:
    fault_server.queue([("head",), ("write", text_events(["one ", "two"])[0]), ("hang",)])
    async with new_client(fault_server.base_url, timeout=TIMEOUT, retry=False) as client:
        async with no_leaks(client, pooled=0):
            got, exc = await _stream_blocking_after_first_chunk(client)
    assert got == ["one "]
    assert isinstance(exc, errors.TimeoutError) and exc.limit == "read"
