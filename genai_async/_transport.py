"""HTTP transport: sends requests over aiohttp and maps what fails.

One ``aiohttp.ClientSession`` per client, created lazily inside the running loop (so a client can be
built outside any loop), with one ``TCPConnector`` capped at ``max_connections`` and keep-alive.
aiohttp itself is imported on first use, in a worker thread (``_preload``, awaited by
:meth:`Transport.open`), so ``import genai_async`` stays cheap and the first request does not freeze
the loop.

Time limits: the read timeout is the longest silence (waiting for the headers once the request is
out, then for each read of the body), kept by one watchdog timer per client (``_watchdog``, the only
module that touches aiohttp's internals) instead of aiohttp's ``sock_read``; ``sock_connect`` bounds
connecting; ``total`` is only set for unary calls that ask for a deadline. File uploads (big or
streamed bodies) keep aiohttp's ``sock_read``, which starts once the body is out.

Errors: every aiohttp/OS/timeout failure is translated in one place, :func:`translate`, and
re-raised as ours ``from`` the original; the hot paths stay plain awaits inside ``try`` (free in
CPython 3.11) and map only on failure.

Connections: a response read to the end goes back to the pool; a response abandoned early (break,
cancellation, error, garbage collection) is closed, so no half-read connection is ever reused.
"""

from __future__ import annotations

import asyncio
import functools
import io
import math
import platform
from asyncio import current_task, get_running_loop
from collections.abc import AsyncIterable, Callable, Mapping
from time import monotonic
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import _preload
from ._options import Settings, logger, redact_url
from ._preload import import_aiohttp
from ._secrets import scrub
from ._version import __version__
from ._watchdog import HeaderWait, Watchdog, Watched, pool_full, pooled, response_class
from .errors import APIError, ConnectionError, GenAIError, StreamError, TimeoutError
from .errors import api_error as api_error  # (re-exported: its home is errors.py)

if TYPE_CHECKING:
    import aiohttp

    from ._limits import Ticket

ERROR_BODY_LIMIT = 1024 * 1024
"""Bytes of an error body we read at most (a hostile or broken server cannot exhaust memory)."""

Body = bytes | AsyncIterable[bytes | memoryview] | None
"""What a request may carry: encoded JSON, an upload's async stream of pieces, or nothing."""

USER_AGENT = f"genai-async/{__version__} gl-python/{platform.python_version()}"


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


_WATCHED_BODY = 1024 * 1024
"""Request bodies up to this size are watched by the transport from the moment they are written;
bigger or streamed ones (file uploads) keep aiohttp's ``sock_read``, which starts once the body is out.

It is also aiohttp's limit for raw bytes: a bigger ``bytes`` body (a request with an inline image)
makes aiohttp warn ``ResourceWarning: Sending a large body directly with raw bytes might lock the
event loop`` (a failed call under ``-W error``). Such a body goes out as an ``io.BytesIO`` (which
shares the bytes' buffer: no copy), which aiohttp writes 64 KiB at a time, yielding to the loop
between pieces. A new one per attempt, so a retry sends the whole body again."""


class Transport:
    """Owns the pooled aiohttp session of one client."""

    def __init__(self, settings: Settings, prepare: Callable[[], object] | None = None) -> None:
        self._settings = settings
        self._prepare = prepare  # more one-time work for the worker thread that imports aiohttp
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._watchdog = Watchdog()  # the silence limit (_watchdog.py)
        self._live: set[Watched] = self._watchdog.live  # responses not yet released/closed; aclose() closes them
        self._waits: dict[Any, HeaderWait] = self._watchdog.waits  # requests waiting for their headers, by task
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
        if self._session is None and not self._closed and not _preload.loaded:
            loop = get_running_loop()
            loading = self._loading
            if loading is None or loading.get_loop() is not loop:  # (a loop closed mid-import never hears back)
                loading = self._loading = _preload.load_in_thread(loop, self._prepare)
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
            raise GenAIError("this client was first used in another event loop; create one Client per event loop")
        if self._session is None:
            aiohttp = import_aiohttp()
            connector = aiohttp.TCPConnector(limit=self._settings.max_connections, ssl=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT, "x-goog-api-client": USER_AGENT},
                auto_decompress=True,
                max_field_size=16 * 1024,
                max_line_size=16 * 1024,
                response_class=response_class(self._watchdog),
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
        return pooled(conn)

    def closed_error(self, endpoint: str) -> GenAIError | None:
        """The error a read gets when this transport was closed under it (None while open)."""
        if not self._closed:
            return None
        return StreamError(f"{endpoint}: the client was closed with aclose() while this response was being read")

    def _log_if_pool_full(self, session: aiohttp.ClientSession, endpoint: str) -> None:
        """Log (once per client) that a request must wait for a pooled connection: a saturated pool
        otherwise looks like a slow service."""
        limit = pool_full(session.connector)
        if limit:
            self._pool_full_logged = True
            logger.warning(
                "all %d pooled connections are in use: %s (and later requests) wait for a free one; "
                "raise Client(max_connections=...) if this is not intended (logged once per client)",
                limit,
                endpoint,
            )

    async def aclose(self) -> None:
        """Close the pool, ending any response still being read; idempotent."""
        self._closed = True
        self._watchdog.close()
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
            wait = HeaderWait(self._watchdog, settings.timeout)
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
                    self._watchdog.watch(monotonic() + settings.timeout)  # no header wait armed it
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
    timeout = import_aiohttp().ClientTimeout(
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
    aiohttp = import_aiohttp()
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
            f"read timeout: {where} sent nothing for {settings.timeout}s (raise timeout=, the longest silence allowed)",
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
