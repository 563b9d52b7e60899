"""Adaptive concurrency for a bulk run: AIMD on 429, and a run-wide pause for the server's hint.

The client's own limits (``requests_per_minute``, ``tokens_per_minute``, ``max_in_flight``) pace
the run as configured. This module reacts to what the service says on top of that, for the whole
run rather than for the one request that got the 429:
- Additive increase: every success adds ``1 / limit`` to the limit (one more slot per "round" of
  successes), up to the configured concurrency.
- Multiplicative decrease: a 429 halves the limit (never below 1), at most once per ``cooldown``
  seconds, so the 429s of one burst, all in flight together, count as one signal.
- Pause: a 429 with ``RetryInfo``/``Retry-After`` holds *every* worker until that delay has passed
  (without a hint: 1 s, doubling while 429s keep coming, at most 60 s).
While nothing was ever throttled, ``limited`` is False and workers skip the gate entirely (the
common case costs nothing). The clock is injectable; the logic is tested without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Adaptive:
    """The concurrency gate of one run."""

    def __init__(self, maximum: int, *, cooldown: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = maximum
        self.limit = float(maximum)
        self.lowest = maximum
        self.cooldown = cooldown
        self.clock = clock
        self.in_flight = 0
        self.paused_until = 0.0
        self.limited = False
        self.throttled = 0
        self._last_cut = float("-inf")
        self._backoff = 0.0
        self._changed = asyncio.Event()

    def on_success(self) -> None:
        if self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            self._backoff = 0.0
            self._wake()

    def on_throttle(self, hint: float | None) -> float:
        """A 429: cut the limit (once per cooldown) and pause the run; returns the pause in seconds."""
        now = self.clock()
        self.limited = True
        self.throttled += 1
        if now - self._last_cut >= self.cooldown:
            self.limit = max(1.0, self.limit / 2)
            self.lowest = min(self.lowest, int(self.limit))
            self._last_cut = now
        if hint is None:
            self._backoff = min(60.0, self._backoff * 2 or 1.0)
            hint = self._backoff
        self.paused_until = max(self.paused_until, now + hint)
        return hint

    async def acquire(self) -> None:
        """Wait until the run is not paused and a slot under the current limit is free."""
        while True:
            wait = self.paused_until - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.in_flight < int(self.limit):
                self.in_flight += 1
                return
            self._changed.clear()
            await self._changed.wait()

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
