"""The capacity model (``max_concurrency``): slots, queueing, 429 beyond, slowdown with load."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from genai_async.emulator import Emulator, _app, running
from genai_async.emulator._capacity import Capacity

from .emulator_helpers import KEY, MODEL, user

BODY = {"contents": [user("How does AI work?")]}
_WAIT = 30.0  # an upper bound against hangs, never a timing assertion


def stream_url(emu: Emulator) -> str:
    return f"{emu.base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"


async def until(cap: Capacity | None, condition: Callable[[Capacity], bool]) -> None:
    """Wait (bounded) until the server-side counters satisfy ``condition``."""
    assert cap is not None
    await asyncio.wait_for(cap.wait_until(lambda: condition(cap)), _WAIT)


async def post(session: aiohttp.ClientSession, emu: Emulator, body: dict[str, Any] = BODY) -> aiohttp.ClientResponse:
    return await session.post(stream_url(emu), json=body, headers={"x-goog-api-key": KEY})


def test_slowdown_grows_with_busy_slots_and_options_are_checked() -> None:
    cap = Capacity(4)
    assert [cap.slowdown(b) for b in (1, 2, 3, 4, 5)] == [1.0, 1.25, 1.5, 1.75, 2.0]
    for bad in (
        {"max_concurrency": 0},
        {"max_concurrency": 2, "overflow": "drop"},
        {"max_concurrency": 2, "max_queue": -1},
    ):
        with pytest.raises(ValueError):
            Capacity(**bad)
    with pytest.raises(ValueError, match="max_concurrency"):
        Emulator(max_concurrency=0)


async def test_slots_are_handed_over_in_order_and_a_cancelled_waiter_leaves_the_line() -> None:
    cap = Capacity(1)
    assert await cap.acquire() == 1.0
    second = asyncio.ensure_future(cap.acquire())
    third = asyncio.ensure_future(cap.acquire())
    await until(cap, lambda c: c.waiting == 2)
    second.cancel()
    await until(cap, lambda c: c.waiting == 1)
    cap.release()
    assert await asyncio.wait_for(third, _WAIT) == 1.0
    assert cap.busy == 1 and cap.queued == 2 and cap.served == 2
    cap.release()
    assert cap.busy == 0 and cap.waiting == 0


async def test_beyond_capacity_reject_answers_429_resource_exhausted() -> None:
    async with running(max_concurrency=1, overflow="reject", tokens_per_second=20) as emu, aiohttp.ClientSession() as s:
        first = await post(s, emu)  # headers arrived: it holds the only slot while it streams
        assert first.status == 200
        second = await post(s, emu)
        assert second.status == 429
        error = (await second.json())["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
        first.close()  # the client leaves: its slot is freed
        await until(emu.capacity, lambda c: c.busy == 0)
        emu.tokens_per_second = None
        third = await post(s, emu)
        assert third.status == 200 and (await third.read()).endswith(b"\r\n\r\n")
        assert emu.capacity is not None
        assert (emu.capacity.rejected, emu.capacity.served, emu.capacity.peak) == (1, 2, 1)


async def test_beyond_capacity_queue_waits_for_a_slot_then_answers() -> None:
    async with running(max_concurrency=1, tokens_per_second=50) as emu, aiohttp.ClientSession() as s:
        cap = emu.capacity
        assert cap is not None
        brief = {**BODY, "generationConfig": {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}}  # no thoughts to pace
        first = await post(s, emu, brief)
        second = asyncio.ensure_future(post(s, emu, brief))
        await until(cap, lambda c: c.waiting == 1)  # in line, no headers yet
        assert not second.done()
        emu.tokens_per_second = None  # the second, paced when it gets the slot, need not be slow
        assert (await first.read()).endswith(b"\r\n\r\n")
        later = await asyncio.wait_for(second, _WAIT)
        assert later.status == 200 and (await later.read()).endswith(b"\r\n\r\n")
        assert (cap.queued, cap.served, cap.rejected, cap.peak, cap.busy) == (1, 2, 0, 1, 0)


async def test_a_full_queue_refuses() -> None:
    async with running(max_concurrency=1, max_queue=0, tokens_per_second=20) as emu, aiohttp.ClientSession() as s:
        first = await post(s, emu)
        refused = await post(s, emu)
        assert first.status == 200 and refused.status == 429
        first.close()


async def test_load_slows_first_token_and_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    real_plan = _app.plan

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(_app, "plan", spy)
    async with (
        running(max_concurrency=2, time_to_first_chunk=0.01, tokens_per_second=40) as emu,
        aiohttp.ClientSession() as s,
    ):
        first = await post(s, emu)
        second = await post(s, emu)  # starts while the first still streams: two slots busy
        assert first.status == second.status == 200
        first.close()
        second.close()
    assert seen[0]["first_delay"] == pytest.approx(0.01) and seen[0]["tokens_per_second"] == pytest.approx(40)
    assert seen[1]["first_delay"] == pytest.approx(0.015) and seen[1]["tokens_per_second"] == pytest.approx(40 / 1.5)


async def test_shutdown_ends_requests_waiting_in_line() -> None:
    async with aiohttp.ClientSession() as s:
        async with running(max_concurrency=1, tokens_per_second=5) as emu:
            cap = emu.capacity
            assert cap is not None
            first = await post(s, emu)
            second = asyncio.ensure_future(post(s, emu))
            await until(cap, lambda c: c.waiting == 1)
        # the server stopped with one request streaming and one in line: neither hangs
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(first.read(), _WAIT)
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(second, _WAIT)
