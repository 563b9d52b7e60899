"""The emulator's capacity model: a server that slows down, queues and refuses as load grows.

Without it every request is served at the configured pace however many arrive, so a load sweep
(``genai-async bench --sweep``) never finds a knee. With ``max_concurrency=N``:

- A request that generates content (``generateContent``, ``streamGenerateContent``) holds one of
  N slots from before its first byte until its reply is sent, fails or the client goes away.
- When all N are busy, ``overflow="queue"`` makes it wait for a slot, first come first served (the
  wait is part of its time to first token); beyond ``max_queue`` waiting requests (None: no limit),
  or at once with ``overflow="reject"``, it gets 429 RESOURCE_EXHAUSTED, as a real overloaded
  service answers.
- Contention: a request that starts while ``b`` slots are busy (itself included) runs
  ``1 + (b - 1) / N`` times slower: its time to first chunk is that much longer and its token pace
  that much lower, fixed for the whole reply. One request alone runs at the configured pace; a full
  server serves each request about half as fast, so the total throughput grows ever more slowly up to
  N requests in flight and not at all beyond: the knee a sweep should find, at N.

This module is pure bookkeeping on the emulator's event loop; :mod:`._app` asks it for a slot and
applies the returned slowdown to the pacing.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable

from ._wire import ApiError

OVERFLOW = ("queue", "reject")


class Capacity:
    """N slots, a FIFO of waiting requests and counters (``served``, ``queued``, ``rejected``, ``peak``)."""

    def __init__(self, max_concurrency: int, overflow: str = "queue", max_queue: int | None = None) -> None:
        if not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be a positive int (or None for no limit), got {max_concurrency!r}")
        if overflow not in OVERFLOW:
            raise ValueError(f"overflow must be one of {OVERFLOW}, got {overflow!r}")
        if max_queue is not None and (not isinstance(max_queue, int) or max_queue < 0):
            raise ValueError(f"max_queue must be a non-negative int or None, got {max_queue!r}")
        self.max_concurrency = max_concurrency
        self.overflow = overflow
        self.max_queue = max_queue
        self.busy = 0
        self.served = 0
        self.queued = 0
        self.rejected = 0
        self.peak = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._changed = asyncio.Event()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in self._waiters)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition()`` holds, checked after every change of the counters (for tests)."""
        while not condition():
            await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def slowdown(self, busy: int) -> float:
        """How much slower a request runs that starts with ``busy`` slots taken (itself included)."""
        return 1.0 + (max(1, busy) - 1) / self.max_concurrency

    async def acquire(self) -> float:
        """Take a slot (waiting in line if the model says so) and return this request's slowdown.

        Raises :class:`ApiError` 429 when the request is refused. The caller must :meth:`release`
        after a successful acquire, also when it fails or is cancelled.
        """
        if self.busy < self.max_concurrency and not self.waiting:
            self.busy += 1
        else:
            full = self.max_queue is not None and self.waiting >= self.max_queue
            if self.overflow == "reject" or full:
                self.rejected += 1
                self._notify()
                raise ApiError(429, "Resource has been exhausted (e.g. check quota).")
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self.queued += 1
            self._notify()
            try:
                await waiter  # release() hands its slot straight to the first waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.release()  # the slot arrived together with the cancellation: pass it on
                else:
                    self._waiters.remove(waiter)
                    self._notify()
                raise
        self.served += 1
        self.peak = max(self.peak, self.busy)
        self._notify()
        return self.slowdown(self.busy)

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot changes hands; busy stays the same
                self._notify()
                return
        self.busy -= 1
        self._notify()
