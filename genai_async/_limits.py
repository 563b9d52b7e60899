"""Client-side limits: requests in flight, requests per minute, tokens per minute.

They keep a backend or a benchmark from flooding the API into 429s. All are off by default.
- ``max_in_flight``: a request holds a slot from sending until its response is released (a
  stream holds it until it ends or is closed).
- ``requests_per_minute`` / ``tokens_per_minute``: token buckets refilled continuously, holding
  at most one minute's allowance (the API's quotas are per-minute windows). A request's token
  cost is estimated *before* sending as its body size / 4 (about four bytes of JSON per token);
  the bucket is not corrected afterwards, so set the limit with some headroom.
Waiting for a slot or for tokens is a plain ``asyncio`` wait: cancelling the caller cancels the
wait and takes nothing.
"""

from __future__ import annotations

import asyncio
import time

from .errors import ConfigurationError


class TokenBucket:
    """``rate_per_minute`` units per minute, bursting to at most one minute's worth."""

    def __init__(self, rate_per_minute: float, *, clock: object = time.monotonic) -> None:
        if rate_per_minute <= 0:
            raise ConfigurationError(f"a per-minute limit must be positive, got {rate_per_minute!r}")
        self.capacity = float(rate_per_minute)
        self.rate = rate_per_minute / 60.0
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = self._now()
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` units are available (0 when they are now)."""
        self._refill()
        amount = min(amount, self.capacity)
        return max(0.0, (amount - self._tokens) / self.rate)

    async def take(self, amount: float = 1.0) -> None:
        """Wait (FIFO) until ``amount`` units are available, then take them."""
        async with self._lock:
            delay = self.wait_time(amount)
            if delay > 0:
                await asyncio.sleep(delay)
                self._refill()
            self._tokens = max(0.0, self._tokens - min(amount, self.capacity))


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
        self._requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self._tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    @property
    def active(self) -> bool:
        return bool(self._slots or self._requests or self._tokens)

    async def acquire(self, body_size: int) -> None:
        """Wait for a slot and the rate budgets; pair with :meth:`release` (only if it returned)."""
        if self._slots is not None:
            await self._slots.acquire()
        try:
            if self._requests is not None:
                await self._requests.take(1)
            if self._tokens is not None:
                await self._tokens.take(max(1, body_size // 4))
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()
