"""HTTP transport: the one module that talks to aiohttp.

One ``aiohttp.ClientSession`` per client, created lazily inside the running loop (so a client can be
built outside any loop), with one ``TCPConnector`` capped at ``max_connections`` and keep-alive.
aiohttp itself is imported on first use, which keeps ``import genai_async`` cheap, and in a worker
thread (:meth:`Transport.open`): its import takes a few hundred milliseconds (most of it building
the default SSL context), which would otherwise freeze every other task of the loop during the first
request. ``async with Client()`` opens the session up front, so the first request pays neither.

Time limits: the read timeout is the longest silence (waiting for the headers once the request is
out, then for each read of the body), so a stream that keeps producing is never cut;
``sock_connect`` bounds connecting; ``total`` is only set for unary calls that ask for a deadline.
The silence limit is ours, not aiohttp's ``sock_read``: that one arms, cancels and re-arms an event-
loop timer on every socket read, which cost about 9 % of the client's CPU per unary request and a
fifth per chunk on streams that arrive one read per chunk (benchmarks S3/S6). Instead each wait
records when it began (one clock read) and ONE watchdog timer per client
(:meth:`Transport._check_silence`) wakes at the earliest moment any wait could reach its limit,
fails the waits that did the way ``sock_read`` would (``ServerTimeoutError`` set on the connection
or on the body), and re-arms itself. A header wait starts when aiohttp starts reading the response
(our ClientResponse subclass finds the wait by task and tells it), so waiting for a pooled
connection or connecting never counts. Only a pending read counts: a caller that is slow to read is
not a silent server. File uploads (big or streamed bodies) keep aiohttp's ``sock_read``, which
starts once the body is out.

Errors: every aiohttp/OS/timeout failure is translated in one place, :func:`translate`, and
re-raised as ours ``from`` the original; the hot paths stay plain awaits inside ``try`` (free in
CPython 3.11) and map only on failure.

Connections: a response read to the end goes back to the pool; a response abandoned early (break,
cancellation, error, garbage collection) is closed, so no half-read connection is ever reused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import io
import math
import platform
import threading
from asyncio import current_task, get_running_loop
from collections.abc import AsyncIterable, Callable, Mapping
from time import monotonic
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._options import Settings, logger, redact_url
from ._secrets import scrub
from ._version import __version__
from .errors import APIError, ConnectionError, GenAIError, StreamError, TimeoutError, api_error

if TYPE_CHECKING:
    import aiohttp

    from ._limits import Ticket

ERROR_BODY_LIMIT = 1024 * 1024
"""Bytes of an error body we read at most (a hostile or broken server cannot exhaust memory)."""

Body = bytes | AsyncIterable[bytes | memoryview] | None
"""What a request may carry: encoded JSON, an upload's async stream of pieces, or nothing."""

USER_AGENT = f"genai-async/{__version__} gl-python/{platform.python_version()}"


def _aiohttp() -> Any:
    import aiohttp

    return aiohttp


_loaded = False
"""True once :func:`_load` has run to its end in this process: later clients open on the loop directly."""


def _load(prepare: Callable[[], object] | None) -> None:
    """What the first session needs imported and built, and the owner's ``prepare`` (run in a worker
    thread by Transport.open). ``prepare`` is optional work done early (what it builds is built
    again, and fails loudly, where it is used), so its failure fails no request."""
    global _loaded
    _response_base()
    if prepare is not None:
        try:
            prepare()
        except Exception:
            logger.debug("one-time preparation failed; it is done again on first use", exc_info=True)
    _loaded = True


def _load_in_thread(loop: asyncio.AbstractEventLoop, prepare: Callable[[], object] | None) -> asyncio.Future[None]:
    """Run :func:`_load` in a thread of its own; the future is settled in ``loop`` (or dropped if
    that loop is closed by then).

    Its own thread, not the loop's default executor: that one may be busy with the caller's own
    blocking work (even work waiting for this very client), and the first request must not queue
    behind it. A daemon thread, so it never holds up the interpreter's exit."""
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def run() -> None:
        try:
            _load(prepare)
        except BaseException as exc:  # handed to the waiting request as it is
            done.set_exception(exc)
        else:
            done.set_result(None)

    threading.Thread(target=run, name="genai-async-import", daemon=True).start()
    return asyncio.wrap_future(done, loop=loop)


class Response:
    """A successful (2xx) HTTP response whose body is read in pieces or whole.

    Whoever holds it must end it with :meth:`release` (body fully read) or :meth:`close`; both
    are idempotent and also hand back the client-side concurrency slot the request held.
    """

    __slots__ = ("_resp", "status", "headers", "endpoint", "settings", "_owner", "_on_done", "_waiting", "usage_ticket")

    def __init__(self, resp: aiohttp.ClientResponse, endpoint: str, settings: Settings, owner: Transport) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers: Mapping[str, str] = resp.headers  # case-insensitive
        self.endpoint = endpoint
        self.settings = settings
        self._owner = owner
        self._on_done: Callable[[], None] | None = None
        self._waiting = 0.0  # monotonic() when the pending read began waiting; 0.0: no read pending
        self.usage_ticket: Ticket | None = None  # tokens_per_minute: settled with the answer's true usage
        owner._live.add(self)  # (send() saw to it that the watchdog runs by now + timeout)

    async def read_chunk(self) -> bytes:
        """The next piece of body as it arrived on the socket; ``b""`` at the end of the body."""
        self._waiting = monotonic()
        try:
            data = await self._resp.content.readany()
        except Exception as exc:  # the hot path stays a plain await: mapping happens only on failure
            raise self._error(exc) from exc
        self._waiting = 0.0
        return data

    async def read(self, limit: int = 256 * 1024 * 1024) -> bytes:
        """The whole body (at most ``limit`` bytes); the connection goes back to the pool afterwards."""
        resp = self._resp
        try:
            if resp.content.is_eof():  # all of it is here already: nothing to wait for
                data = await resp.read()
                if len(data) > limit:
                    raise StreamError(f"{self.endpoint}: the response grew past the {limit}-byte limit")
            else:
                buf = bytearray()
                while piece := await self.read_chunk():
                    buf += piece
                    if len(buf) > limit:
                        raise StreamError(f"{self.endpoint}: the response grew past the {limit}-byte limit")
                data = bytes(buf)
        except BaseException as exc:
            self.close()
            if isinstance(exc, Exception) and not isinstance(exc, GenAIError):
                raise self._error(exc) from exc
            raise
        self.release()
        return data

    def _expire(self, waited: float) -> None:
        """Called by the watchdog: the pending read has waited the whole silence limit."""
        self._resp.content.set_exception(_aiohttp().ServerTimeoutError(f"no data for {waited:.1f}s"))

    def _error(self, exc: Exception) -> BaseException:
        closed = self._owner.closed_error(self.endpoint)
        return closed if closed is not None else translate(exc, self.endpoint, self.settings, reading=True)

    def release(self) -> None:
        """Return the connection to the pool (only valid once the body was read to its end)."""
        self._resp.release()
        self._done()

    def close(self) -> None:
        """Close the connection; safe to call more than once and from ``__del__``."""
        self._resp.close()
        self._done()

    def _done(self) -> None:
        self._owner._live.discard(self)  # (a plain set: release/close always run, also via __del__ of streams)
        callback, self._on_done = self._on_done, None
        if callback is not None:
            callback()


class _HeaderWait:
    """A request waiting for its response headers (or its error body), watched for silence.

    Its clock starts when the request has been written (:meth:`sent`, called from the response
    class's ``start``), so waiting for a pooled connection and connecting do not count; until
    then ``start`` is infinite and the watchdog passes it by.
    """

    __slots__ = ("owner", "timeout", "start", "target")

    def __init__(self, owner: Transport, timeout: float) -> None:
        self.owner = owner
        self.timeout = timeout
        self.start = math.inf
        self.target: Any = None  # what to fail on expiry: the connection's protocol, then the error body

    def sent(self, target: Any) -> None:
        """The request is out (or the error headers are in): from now on the server's silence counts."""
        self.target = target
        self.start = monotonic()
        self.owner._watch(self.start + self.timeout)

    def expire(self) -> None:
        """Fail the pending read the way aiohttp's own ``sock_read`` does."""
        self.target.set_exception(_aiohttp().ServerTimeoutError(f"no response for {self.timeout}s"))


def _arrived(target: Any) -> bool:
    """Whether bytes, the end or an error are waiting in an aiohttp reader (body or protocol)."""
    return bool(target._buffer) or target.is_eof() or target.exception() is not None


_WATCHED_BODY = 1024 * 1024
"""Request bodies up to this size are watched by the transport from the moment they are written;
bigger or streamed ones (file uploads) keep aiohttp's ``sock_read``, which starts once the body is out.

It is also aiohttp's limit for raw bytes: a bigger ``bytes`` body (a request with an inline image)
makes aiohttp warn ``ResourceWarning: Sending a large body directly with raw bytes might lock the
event loop`` (a failed call under ``-W error``). Such a body goes out as an ``io.BytesIO`` (which
shares the bytes' buffer: no copy), which aiohttp writes 64 KiB at a time, yielding to the loop
between pieces. A new one per attempt, so a retry sends the whole body again."""


@functools.cache
def _response_base() -> Any:
    """aiohttp's ClientResponse, telling the request's header wait when the request is out.

    Each client's session gets a subclass whose ``_waits`` is that client's table of header waits
    by task (the response is started in the task that sent the request)."""
    base: Any = _aiohttp().ClientResponse

    class _WatchedResponse(base):  # type: ignore[misc]
        _waits: dict[Any, _HeaderWait] = {}

        async def start(self, connection: Any) -> Any:
            wait = self._waits.get(current_task())
            if wait is not None and connection.protocol is not None:
                wait.sent(connection.protocol)
            return await super().start(connection)

    return _WatchedResponse


class Transport:
    """Owns the pooled aiohttp session of one client."""

    def __init__(self, settings: Settings, prepare: Callable[[], object] | None = None) -> None:
        self._settings = settings
        self._prepare = prepare  # more one-time work for the worker thread that imports aiohttp
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._live: set[Response] = set()  # responses not yet released/closed; aclose() closes them
        self._waits: dict[Any, _HeaderWait] = {}  # requests waiting for their headers, by task
        self._sweep: asyncio.TimerHandle | None = None  # the silence watchdog, armed while anything waits
        self._sweep_at = 0.0
        self._loading: asyncio.Future[None] | None = None  # the off-loop import of aiohttp, in progress
        self._pool_full_logged = False  # a request waited for a pooled connection (logged once)

    @property
    def closed(self) -> bool:
        return self._closed

    async def open(self) -> aiohttp.ClientSession:
        """The session, created on first use after importing aiohttp off the loop (module docstring).

        Concurrent first requests share one import; a cancelled waiter leaves it running for the
        others; a failed one is raised to its waiters and tried again by the next request. Raises if
        the client was closed or belongs to another event loop."""
        if self._session is None and not self._closed and not _loaded:
            loop = get_running_loop()
            loading = self._loading
            if loading is None or loading.get_loop() is not loop:  # (a loop closed mid-import never hears back)
                loading = self._loading = _load_in_thread(loop, self._prepare)
                loading.add_done_callback(self._loading_done)
            await asyncio.shield(loading)
        return self._get_session()

    def _loading_done(self, loading: asyncio.Future[None]) -> None:
        if loading.exception() is not None:  # retrieved here even when every waiter was cancelled
            self._loading = None  # the next request tries again

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise GenAIError("this client was closed with aclose(); create a new Client")
        loop = asyncio.get_running_loop()
        if self._session is not None and self._loop is not loop:
            raise GenAIError(
                "this client was first used in another event loop; create one Client per event loop"
            )
        if self._session is None:
            aiohttp = _aiohttp()
            connector = aiohttp.TCPConnector(limit=self._settings.max_connections, ssl=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT, "x-goog-api-client": USER_AGENT},
                auto_decompress=True,
                max_field_size=16 * 1024,
                max_line_size=16 * 1024,
                response_class=type("_WatchedResponse", (_response_base(),), {"_waits": self._waits}),
            )
            self._loop = loop
        return self._session

    @property
    def open_connections(self) -> int:
        """Connections currently held by the pool or by responses in flight (for tests/metrics)."""
        if self._session is None or self._session.closed:
            return 0
        conn = self._session.connector
        if conn is None:
            return 0
        acquired = len(getattr(conn, "_acquired", ()))
        idle = sum(len(v) for v in getattr(conn, "_conns", {}).values())
        return acquired + idle

    def closed_error(self, endpoint: str) -> GenAIError | None:
        """The error a read gets when this transport was closed under it (None while open)."""
        if not self._closed:
            return None
        return StreamError(f"{endpoint}: the client was closed with aclose() while this response was being read")

    def _watch(self, deadline: float) -> None:
        """Make sure the silence watchdog runs no later than ``deadline`` (a monotonic() time)."""
        if self._sweep is not None:
            if deadline >= self._sweep_at:
                return  # the usual case: it is already due earlier
            self._sweep.cancel()
        self._sweep_at = deadline
        self._sweep = asyncio.get_running_loop().call_later(deadline - monotonic(), self._check_silence)

    def _check_silence(self) -> None:
        """The watchdog: find every wait that reached its limit, then sleep until the next one could.

        A response with no read pending is due ``timeout`` from now at the earliest (a read that
        starts later is due later still), so waking then never misses a deadline. Silence counts
        from the last bytes received: an overdue wait is failed one loop turn later
        (:meth:`_expire`), and only if nothing arrived meanwhile. A busy loop runs this timer late,
        in the same turn as the data, the EOF or the reset that came during the lag, before the
        reading task has seen them (and the transport reports a reset one turn after the read):
        what is already there wins over the timer.
        """
        self._sweep = None
        now = monotonic()
        due = math.inf
        overdue: list[tuple[Any, Any, float]] = []
        for task, wait in self._waits.items():
            deadline = wait.start + wait.timeout  # infinite while the request is not out yet
            if deadline <= now:
                overdue.append((task, wait, wait.start))
            elif deadline < due:
                due = deadline
        for resp in self._live:
            timeout = resp.settings.timeout
            if timeout:
                since = resp._waiting
                if since and since + timeout <= now:
                    overdue.append((None, resp, since))
                else:
                    due = min(due, (since or now) + timeout)
        if overdue:
            get_running_loop().call_soon(self._expire, overdue)
        if due < math.inf:
            self._watch(due)

    def _expire(self, overdue: list[tuple[Any, Any, float]]) -> None:
        """Fail the overdue waits still waiting, with nothing received since; watch the others again."""
        if self._closed:
            return  # aclose() ended every wait already
        now = monotonic()
        for task, item, since in overdue:
            if task is not None:  # a header wait
                wait = self._waits.get(task)
                if wait is not item or wait.start != since:
                    continue  # the headers came and the request moved on
                if _arrived(wait.target):
                    self._watch(now + wait.timeout)
                else:
                    del self._waits[task]
                    wait.expire()
            elif item in self._live and item._waiting == since:
                if _arrived(item._resp.content):
                    self._watch(now + item.settings.timeout)
                else:
                    item._expire(now - since)

    def _log_if_pool_full(self, session: aiohttp.ClientSession, endpoint: str) -> None:
        """Log (once per client) that a request must wait for a pooled connection: a saturated pool
        otherwise looks like a slow service."""
        conn = session.connector
        limit = getattr(conn, "limit", 0)
        if limit and len(getattr(conn, "_acquired", ())) >= limit:
            self._pool_full_logged = True
            logger.warning(
                "all %d pooled connections are in use: %s (and later requests) wait for a free one; "
                "raise Client(max_connections=...) if this is not intended (logged once per client)",
                limit, endpoint,
            )

    async def aclose(self) -> None:
        """Close the pool, ending any response still being read; idempotent."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for resp in list(self._live):
            resp.close()
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def send(
        self,
        method: str,
        path_or_url: str,
        *,
        settings: Settings,
        endpoint: str,
        body: Body = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        params: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; return the 2xx response or raise the mapped error (body excerpt capped).

        ``body`` may be an async iterable (file uploads): give it an explicit Content-Length header
        (otherwise aiohttp uses chunked encoding), and send it without retries, since it cannot be
        replayed.
        """
        session = self._session
        if session is None or self._loop is not get_running_loop():
            session = await self.open()  # the first request, or one that must raise
        watched = body is None or (type(body) is bytes and len(body) <= _WATCHED_BODY)
        prefix, base_headers, timeout = _request_setup(settings, stream, watched)
        url = path_or_url if "://" in path_or_url else prefix + path_or_url
        hdrs = {**base_headers, **headers} if headers else base_headers
        wait = task = None
        if settings.timeout and watched:
            wait = _HeaderWait(self, settings.timeout)
            task = current_task()
            self._waits[task] = wait
        if not self._pool_full_logged:
            self._log_if_pool_full(session, endpoint)
        data: Any = body if watched or type(body) is not bytes else io.BytesIO(body)  # see _WATCHED_BODY
        try:
            try:
                resp = await session.request(
                    method, url, data=data, headers=hdrs, timeout=timeout, params=params, allow_redirects=False
                )
            except Exception as exc:
                raise (self.closed_error(endpoint) or translate(exc, endpoint, settings, reading=False)) from exc
            closed = self.closed_error(endpoint)  # aclose() ran while the headers were on their way
            if closed is not None:
                resp.close()
                raise closed
            if resp.status < 300:
                if settings.timeout and not watched:
                    self._watch(monotonic() + settings.timeout)  # no header wait armed the watchdog
                return Response(resp, endpoint, settings, self)
            if wait is not None:
                wait.sent(resp.content)  # the error body is watched from its headers on
            try:
                raw = await _read_capped(resp, endpoint, settings)
            finally:
                resp.close()
            if resp.status < 400:
                raise redirect_error(resp.status, resp.headers, endpoint=endpoint, settings=settings)
            error = api_error(resp.status, raw, reason=resp.reason, endpoint=endpoint, headers=resp.headers)
            del raw, resp  # a traceback formatted with locals must not show the body (a proxy may echo the key)
            raise scrub(error, settings.api_key)
        finally:
            if wait is not None:
                self._waits.pop(task, None)  # (gone already if the watchdog expired it)


@functools.lru_cache(maxsize=64)
def _request_setup(settings: Settings, stream: bool, watched: bool) -> tuple[str, dict[str, str], Any]:
    """URL prefix, headers and aiohttp timeouts of a request, built once per settings (they are
    frozen). ``watched``: the transport's watchdog keeps the silence limit, else aiohttp's ``sock_read``."""
    hdrs = {**settings.headers, "x-goog-api-key": settings.api_key, "Content-Type": "application/json"}
    if settings.total_timeout and not stream:
        hdrs["X-Server-Timeout"] = str(math.ceil(settings.total_timeout))
    timeout = _aiohttp().ClientTimeout(
        total=None if stream else settings.total_timeout,
        sock_connect=settings.connect_timeout,
        sock_read=None if watched else settings.timeout,  # the watchdog's job (module docstring)
    )
    return settings.url(""), hdrs, timeout


async def _read_capped(resp: aiohttp.ClientResponse, endpoint: str, settings: Settings) -> bytes:
    buf = bytearray()
    try:
        while len(buf) < ERROR_BODY_LIMIT:
            piece = await resp.content.read(ERROR_BODY_LIMIT - len(buf))
            if not piece:
                break
            buf += piece
    except Exception as exc:
        raise translate(exc, endpoint, settings, reading=True) from exc
    return bytes(buf)


def redirect_error(status: int, headers: Any, *, endpoint: str, settings: Settings) -> APIError:
    """The error for a 3xx answer: never followed (the Gemini API does not redirect API calls, and a
    redirect would carry the API key to another host, or over plain http); names the status and the
    host the server pointed to, not the whole Location (its query may hold a secret)."""
    location = headers.get("Location") or ""
    try:
        host = urlsplit(location).hostname
    except ValueError:
        host = None
    target = f"to host {host!r}" if host else ("with no Location" if not location else "to a relative Location")
    message = (
        f"the server at {redact_url(settings.base_url)} answered HTTP {status}, a redirect {target}; "
        "genai_async never follows redirects (the Gemini API does not redirect API calls, and following one "
        "would send the API key elsewhere): check base_url or the proxy in between"
    )
    kept = {k: v for k, v in headers.items() if k.lower() != "location"}
    return APIError(status, None, message, endpoint=endpoint, headers=kept)


def translate(exc: Exception, endpoint: str, settings: Settings, *, reading: bool) -> Exception:
    """The genai_async error for an aiohttp/OS/timeout failure, naming the endpoint and the limit.

    The one place lower-library errors are mapped; callers ``raise translate(...) from exc``. The API
    key is scrubbed from ``exc`` (aiohttp's request records hold the request headers) and from the result.
    """
    scrub(exc, settings.api_key)
    if isinstance(exc, GenAIError):
        return exc
    result = _translate(exc, endpoint, settings, reading=reading)
    return result if result is exc else scrub(result, settings.api_key)  # type: ignore[return-value]


def _translate(exc: Exception, endpoint: str, settings: Settings, *, reading: bool) -> Exception:
    aiohttp = _aiohttp()
    where = f"{endpoint} at {redact_url(settings.base_url)}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TimeoutError(
            f"connect timeout: no connection to {where} within {settings.connect_timeout}s "
            "(raise connect_timeout= or check the network)",
            limit="connect",
            seconds=settings.connect_timeout,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return TimeoutError(
            f"read timeout: {where} sent nothing for {settings.timeout}s "
            "(raise timeout=, the longest silence allowed)",
            limit="read",
            seconds=settings.timeout,
        )
    if isinstance(exc, asyncio.TimeoutError):
        return TimeoutError(
            f"total timeout: {where} did not complete within {settings.total_timeout}s "
            "(raise total_timeout= or remove it)",
            limit="total",
            seconds=settings.total_timeout,
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return StreamError(f"the response body from {where} was cut: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectionError(f"cannot connect to {where}: {exc.os_error or exc}", request_sent=False)
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        what = "while reading the response" if reading else "before the response arrived"
        return ConnectionError(f"connection to {where} failed {what}: {type(exc).__name__}: {exc}")
    return exc
