"""The adaptive gate, with an injected clock: AIMD, one cut per burst, the run-wide pause."""

from __future__ import annotations

import asyncio

from genai_async._bulk._rate import Adaptive


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_halves_once_per_cooldown_and_grows_back_additively() -> None:
    clock = Clock()
    gate = Adaptive(16, cooldown=1.0, clock=clock)
    assert not gate.limited
    gate.on_throttle(None)
    gate.on_throttle(None)  # same burst: no second cut
    assert gate.limit == 8 and gate.lowest == 8 and gate.throttled == 2 and gate.limited
    clock.now += 1.5
    gate.on_throttle(2.0)
    assert gate.limit == 4 and gate.paused_until == clock.now + 2.0
    for _ in range(4):
        gate.on_success()
    assert 4.9 < gate.limit < 5.1  # one slot per round of `limit` successes
    for _ in range(1000):
        gate.on_success()
    assert gate.limit == 16 and gate.lowest == 4


def test_pause_without_hint_doubles_up_to_a_minute() -> None:
    gate = Adaptive(4, clock=Clock())
    assert [gate.on_throttle(None) for _ in range(8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    gate.on_success()
    assert gate.on_throttle(None) == 1.0  # a success resets the backoff


def test_never_below_one() -> None:
    clock = Clock()
    gate = Adaptive(2, cooldown=0.0, clock=clock)
    for _ in range(5):
        gate.on_throttle(0.0)
    assert gate.limit == 1.0


async def test_acquire_waits_for_a_slot_under_the_limit() -> None:
    clock = Clock()
    gate = Adaptive(2, cooldown=0.0, clock=clock)
    gate.on_throttle(0.0)  # limit 1, no pause
    await gate.acquire()
    assert gate.in_flight == 1 and gate.in_flight == int(gate.limit)  # full: the next acquire waits
    second = asyncio.ensure_future(gate.acquire())
    gate.release()
    await second
    assert gate.in_flight == 1
    gate.release()
