"""Waiting for a condition instead of sleeping for a guessed time.

A test that sleeps "long enough" for a task to park, or asserts that something took less than so
many seconds, fails on a busy machine and wastes time on an idle one. These helpers poll the
condition itself; their deadline only turns a hang into a failure, it never decides the result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

#: Long enough that only a hang reaches it, even on a loaded 2-core machine.
HANG = 10.0


async def wait_until(predicate: Callable[[], bool], timeout: float = HANG) -> None:
    """Poll ``predicate`` on the loop until it holds (fails the test after ``timeout`` s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


def blocked(task: asyncio.Task[Any]) -> bool:
    """The task has run and now waits on a future that is not done (it parked in an ``await``)."""
    waiter = getattr(task, "_fut_waiter", None)
    return not task.done() and waiter is not None and not waiter.done()


async def parked(task: asyncio.Task[Any], timeout: float = HANG) -> None:
    """Wait until ``task`` parks in an ``await`` and stays there for a few turns of the loop.

    A task that merely yields (``sleep(0)``, a lock handed over at once) is not parked: it is
    blocked for a moment and running again in the next turn. Polling a few turns apart tells the two
    apart without a timer.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    still = 0
    while still < 5:
        assert loop.time() < deadline, f"{task!r} never parked"
        still = still + 1 if blocked(task) else 0
        await asyncio.sleep(0)
        if still == 0:
            await asyncio.sleep(0.001)
    assert not task.done(), task


class FakeClock:
    """An injected clock for code that takes ``clock`` and ``sleep`` (the limiter's windows):
    ``sleep`` advances the clock instead of waiting, and records what was asked."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
