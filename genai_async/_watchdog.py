"""The silence watchdog: the one module that touches aiohttp's internals.

The read timeout is the longest silence (waiting for the headers once the request is out, then for
each read of the body), so a stream that keeps producing is never cut. The limit is kept here, not
by aiohttp's ``sock_read``: that one arms, cancels and re-arms an event-loop timer on every socket
read, which cost about 9 % of the client's CPU per unary request and a fifth per chunk on streams
that arrive one read per chunk (benchmarks S3/S6). Instead each wait records when it began (one
clock read) and ONE timer per client (:meth:`Watchdog._check_silence`) wakes at the earliest
moment any wait could reach its limit, fails the waits that did the way ``sock_read`` would
(``ServerTimeoutError`` set on the connection or on the body), and re-arms itself.

The rules:

- A header wait (:class:`HeaderWait`) starts when aiohttp starts reading the response (our
  ClientResponse subclass, :func:`response_class`, finds the wait by task and tells it), so waiting
  for a pooled connection or connecting never counts. Until then it is never due.
- A body read counts only while it is pending (``Watched._waiting``, set by the transport's
  ``Response.read_chunk``): a caller that is slow to read is not a silent server. A response with
  no read pending is due ``timeout`` from now at the earliest, so waking then never misses one.
- Silence counts from the last bytes received: an overdue wait is failed one loop turn later
  (:meth:`Watchdog._expire`), and only if it is still the same wait and nothing (data, the end, an
  error) arrived meanwhile. A busy loop runs this timer late, in the same turn as the data, the
  EOF or the reset that came during the lag, before the reading task has seen them: what is
  already there wins over the timer. A wait that got something is watched again from now.

aiohttp internals used, all here (tests/faults/test_aiohttp_contract.py checks each one and names the
one an aiohttp release changed; pyproject pins ``aiohttp<4``):

- ``ClientResponse.start(connection)`` (overridden) and ``connection.protocol``: the request is out.
- The connection's protocol (``ResponseHandler``) and the body (``StreamReader``):
  ``set_exception`` to fail a wait, ``_buffer``, ``is_eof()`` and ``exception()`` to see whether
  something arrived (:func:`arrived`).
- ``TCPConnector._acquired`` and ``._conns``: counting pooled connections (:func:`pooled`,
  :func:`pool_full`).
"""

from __future__ import annotations

import asyncio
import functools
import math
from asyncio import current_task, get_running_loop
from collections.abc import Callable
from time import monotonic
from typing import Any, Protocol

from ._options import Settings
from ._preload import import_aiohttp


class Watched(Protocol):
    """A response whose body reads the watchdog keeps an eye on (the transport's ``Response``)."""

    _resp: Any  # the aiohttp ClientResponse
    _waiting: float  # monotonic() when the pending read began waiting; 0.0: no read pending
    settings: Settings

    def close(self) -> None: ...


class Watchdog:
    """One client's silence timer, its header waits (by task) and its live responses.

    ``clock`` and ``loop`` are for tests (a fake clock and scheduler); the transport records its
    waits with ``time.monotonic``, the default clock, and the timer runs on the running loop.
    """

    __slots__ = ("waits", "live", "closed", "clock", "_loop", "_timer", "_at")

    def __init__(
        self, *, clock: Callable[[], float] = monotonic, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.waits: dict[Any, HeaderWait] = {}  # requests waiting for their headers, by task
        self.live: set[Watched] = set()  # responses not yet released/closed
        self.closed = False
        self.clock = clock
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None  # armed while anything waits
        self._at = 0.0

    def watch(self, deadline: float) -> None:
        """Make sure the watchdog runs no later than ``deadline`` (a clock time)."""
        if self._timer is not None:
            if deadline >= self._at:
                return  # the usual case: it is already due earlier
            self._timer.cancel()
        self._at = deadline
        loop = self._loop or get_running_loop()
        self._timer = loop.call_later(deadline - self.clock(), self._check_silence)

    def close(self) -> None:
        """Stop: the timer is cancelled and nothing is failed any more (the owner ends every wait)."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check_silence(self) -> None:
        """Find every wait that reached its limit, then sleep until the next one could (module docstring)."""
        self._timer = None
        now = self.clock()
        due = math.inf
        overdue: list[tuple[Any, Any, float]] = []
        for task, wait in self.waits.items():
            deadline = wait.start + wait.timeout  # infinite while the request is not out yet
            if deadline <= now:
                overdue.append((task, wait, wait.start))
            elif deadline < due:
                due = deadline
        for resp in self.live:
            timeout = resp.settings.timeout
            if timeout:
                since = resp._waiting
                if since and since + timeout <= now:
                    overdue.append((None, resp, since))
                else:
                    due = min(due, (since or now) + timeout)
        if overdue:
            (self._loop or get_running_loop()).call_soon(self._expire, overdue)
        if due < math.inf:
            self.watch(due)

    def _expire(self, overdue: list[tuple[Any, Any, float]]) -> None:
        """Fail the overdue waits still waiting, with nothing received since; watch the others again."""
        if self.closed:
            return  # the owner ended every wait already
        now = self.clock()
        for task, item, since in overdue:
            if task is not None:  # a header wait
                wait = self.waits.get(task)
                if wait is not item or wait.start != since:
                    continue  # the headers came and the request moved on
                if arrived(wait.target):
                    self.watch(now + wait.timeout)
                else:
                    del self.waits[task]
                    wait.expire()
            elif item in self.live and item._waiting == since:
                reader = item._resp.content
                if arrived(reader):
                    self.watch(now + item.settings.timeout)
                else:
                    reader.set_exception(import_aiohttp().ServerTimeoutError(f"no data for {now - since:.1f}s"))


class HeaderWait:
    """A request waiting for its response headers (or its error body), watched for silence.

    Its clock starts when the request has been written (:meth:`sent`, called from the response
    class's ``start``), so waiting for a pooled connection and connecting do not count; until
    then ``start`` is infinite and the watchdog passes it by.
    """

    __slots__ = ("owner", "timeout", "start", "target")

    def __init__(self, owner: Watchdog, timeout: float) -> None:
        self.owner = owner
        self.timeout = timeout
        self.start = math.inf
        self.target: Any = None  # what to fail on expiry: the connection's protocol, then the error body

    def sent(self, target: Any) -> None:
        """The request is out (or the error headers are in): from now on the server's silence counts."""
        self.target = target
        self.start = self.owner.clock()
        self.owner.watch(self.start + self.timeout)

    def expire(self) -> None:
        """Fail the pending read the way aiohttp's own ``sock_read`` does."""
        self.target.set_exception(import_aiohttp().ServerTimeoutError(f"no response for {self.timeout}s"))


def arrived(target: Any) -> bool:
    """Whether bytes, the end or an error are waiting in an aiohttp reader (body or protocol)."""
    return bool(target._buffer) or target.is_eof() or target.exception() is not None


@functools.cache
def _response_base() -> Any:
    """aiohttp's ClientResponse, telling the request's header wait when the request is out."""
    base: Any = import_aiohttp().ClientResponse

    class _WatchedResponse(base):  # type: ignore[misc]
        _waits: dict[Any, HeaderWait] = {}

        async def start(self, connection: Any) -> Any:
            wait = self._waits.get(current_task())
            if wait is not None and connection.protocol is not None:
                wait.sent(connection.protocol)
            return await super().start(connection)

    return _WatchedResponse


def response_class(watchdog: Watchdog) -> Any:
    """The ``response_class`` of one client's session: its ``_waits`` is that client's table of
    header waits by task (the response is started in the task that sent the request)."""
    return type("_WatchedResponse", (_response_base(),), {"_waits": watchdog.waits})


def pooled(connector: Any) -> int:
    """Connections held by the pool (idle) or by responses in flight."""
    acquired = len(getattr(connector, "_acquired", ()))
    idle = sum(len(v) for v in getattr(connector, "_conns", {}).values())
    return acquired + idle


def pool_full(connector: Any) -> int:
    """The connector's limit when every pooled connection is in use (a new request must wait), else 0."""
    limit: int = getattr(connector, "limit", 0)
    return limit if limit and len(getattr(connector, "_acquired", ())) >= limit else 0
