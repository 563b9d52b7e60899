"""Client-side limits: requests in flight, requests per minute, tokens per minute.

They keep a backend or a benchmark from flooding the API into 429s. All are off by default.
- ``max_in_flight``: a request holds a slot from sending until its response is released (a
  stream holds it until it ends or is closed).
- ``requests_per_minute`` / ``tokens_per_minute``: sliding windows. No 60-second window, wherever
  it starts, ever holds more than the limit (the API's quotas are per-minute windows; a token
  bucket that starts full and refills meanwhile lets nearly twice the limit through in the first
  minute). A request waits until the units taken in the last 60 s leave room for its own.
- Token cost: estimated *before* sending as the request body's size / 4 (about four bytes of JSON
  per token; inline images and files count by their base64 size, so they are overestimated). When
  the response reports ``usageMetadata.totalTokenCount`` (``generate_content`` and streams), the
  estimate is replaced by that true count (prompt + output + thoughts), in the window at the time
  the request was sent, so the budget tracks real tokens. ``Client.report_usage(n)`` counts tokens
  the client did not see (another process sharing the key).
- One request estimated above the whole ``tokens_per_minute`` waits for an empty window and goes
  alone (it could never fit; refusing it would be worse).
Waiting for a slot or for units is a plain ``asyncio`` wait, first come first served: cancelling
the caller cancels the wait and takes nothing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from .errors import ConfigurationError

WINDOW = 60.0


class Ticket:
    """What one request took from a window: when and how much (settled later to the true count)."""

    __slots__ = ("window", "at", "amount")

    def __init__(self, window: SlidingWindow, at: float, amount: float) -> None:
        self.window = window
        self.at = at
        self.amount = amount

    def settle(self, actual: float) -> None:
        """Replace the estimate by the true amount (kept at the time the request was taken)."""
        self.window.settle(self, actual)


class SlidingWindow:
    """At most ``limit`` units in any ``window`` seconds (half-open: ``[t, t + window)``)."""

    def __init__(
        self,
        limit: float,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or not 0 < limit < math.inf:
            raise ConfigurationError(f"a per-minute limit must be a positive number, got {limit!r}")
        self.limit = float(limit)
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._log: deque[Ticket] = deque()  # what was taken in the current window, oldest first
        self._used = 0.0  # the sum of the log's amounts
        self._lock = asyncio.Lock()

    @property
    def used(self) -> float:
        """Units taken in the last ``window`` seconds."""
        self._forget(self._clock())
        return self._used

    def _forget(self, now: float) -> None:
        log, window = self._log, self.window
        while log and log[0].at + window <= now:  # (the same sum as the wake-up time in wait_time)
            self._used -= log.popleft().amount
        if not log:
            self._used = 0.0  # (no float drift left behind)

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` units fit in the window (0 when they fit now)."""
        now = self._clock()
        self._forget(now)
        room = self.limit - min(amount, self.limit)  # what the others may hold when this one goes
        used = self._used
        if used <= room:
            return 0.0
        for ticket in self._log:  # the oldest leave first: wait until enough of them have left
            used -= ticket.amount
            if used <= room + 1e-9:
                return max(0.0, ticket.at + self.window - now)
        return 0.0  # (not reached: an empty log leaves room for anything)

    async def take(self, amount: float = 1.0) -> Ticket:
        """Wait (first come, first served) until ``amount`` units fit, then take them."""
        async with self._lock:
            while (delay := self.wait_time(amount)) > 0:
                await self._sleep(delay)
            ticket = Ticket(self, self._clock(), float(amount))
            self._log.append(ticket)
            self._used += ticket.amount
            return ticket

    def add(self, amount: float) -> None:
        """Count ``amount`` units taken now without waiting (usage reported after the fact)."""
        self._forget(self._clock())
        ticket = Ticket(self, self._clock(), float(amount))
        self._log.append(ticket)
        self._used += ticket.amount

    def settle(self, ticket: Ticket, actual: float) -> None:
        now = self._clock()
        self._forget(now)
        if ticket.at + self.window > now:  # still in the window (else it no longer counts anyway)
            self._used += actual - ticket.amount
        ticket.amount = float(actual)


class Limiter:
    """The three optional limits of one client, applied around every request."""

    def __init__(
        self,
        *,
        max_in_flight: int | None = None,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
    ) -> None:
        if max_in_flight is not None and (not isinstance(max_in_flight, int) or max_in_flight < 1):
            raise ConfigurationError(f"max_in_flight must be a positive int or None, got {max_in_flight!r}")
        self._slots = asyncio.Semaphore(max_in_flight) if max_in_flight else None
        self._requests = SlidingWindow(requests_per_minute) if requests_per_minute else None
        self._tokens = SlidingWindow(tokens_per_minute) if tokens_per_minute else None

    @property
    def active(self) -> bool:
        return bool(self._slots or self._requests or self._tokens)

    async def acquire(self, body_size: int) -> Ticket | None:
        """Wait for a slot and the rate budgets; pair with :meth:`release` (only if it returned).
        Returns the token ticket to settle with the true usage (None without a token limit)."""
        if self._slots is not None:
            await self._slots.acquire()
        try:
            if self._requests is not None:
                await self._requests.take(1)
            if self._tokens is not None:
                return await self._tokens.take(estimate_tokens(body_size))
        except BaseException:
            self.release()
            raise
        return None

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()

    def report(self, tokens: float) -> None:
        """Count ``tokens`` spent outside this client's own requests (no-op without a token limit)."""
        if self._tokens is not None:
            self._tokens.add(tokens)


def settle_usage(ticket: Ticket, usage: object) -> None:
    """Settle ``ticket`` with a ``UsageMetadata``'s ``total_token_count`` (kept as estimated without one)."""
    total = getattr(usage, "total_token_count", None)
    if isinstance(total, int) and total >= 0:
        ticket.settle(total)


def estimate_tokens(body_size: int) -> int:
    """A request's token cost before it is sent: body bytes / 4, at least 1."""
    return max(1, body_size // 4)
