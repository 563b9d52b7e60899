"""The client: settings, the pooled transport, and the resources hanging off it."""

from __future__ import annotations

import asyncio
import functools
import random
import traceback
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from ._codec import decode, encode
from ._limits import Limiter, settle_usage
from ._options import DEFAULT_MAX_CONNECTIONS, Settings, logger, resolve, with_overrides
from ._otel import OPTIONS as _OTEL
from ._preload import warm_codec as _prepare  # one-time work in the thread that imports aiohttp
from ._request import Request
from ._resources.models import Models
from ._retry import RetryPolicy, retry_message
from ._transport import Response, Transport
from .errors import ConfigurationError, GenAIError, StreamError

if TYPE_CHECKING:
    from ._resources.batches import Batches
    from ._resources.caches import Caches
    from ._resources.chats import Chats
    from ._resources.files import Files
    from ._resources.live import Live

T = TypeVar("T")
_UNSET: Any = object()


class Client:
    """An asyncio client for the Gemini API; one pooled connection set per client.

    ``Client()`` reads the key from ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` (that precedence, like
    the official SDK). Use it as ``async with Client() as client:`` or call ``await
    client.aclose()``. ``client.aio`` is the client itself, so code written for the official SDK's
    ``client.aio.models...`` runs unchanged.

    Time limits (seconds): ``timeout`` is the longest silence allowed (waiting for headers, for
    the first chunk, or between chunks; default 600 because thinking models can be quiet for
    minutes), ``connect_timeout`` bounds connecting (default 10), ``total_timeout`` is an optional
    deadline for unary calls. ``http_options={"timeout": ms}`` is in milliseconds, like the
    official SDK, and sets the silence limit.

    Retries (``retry=``) are on by default; see the README's table. ``False`` (or ``0``) turns them
    off, a dict or ``types.HttpRetryOptions`` tunes them; anything else is a ConfigurationError.
    ``http_options`` is checked like a config dict (unknown keys suggest the closest one).

    Optional client-side limits: ``max_connections`` (pool size), ``max_in_flight`` (requests and
    open streams at once), ``requests_per_minute`` and ``tokens_per_minute`` (sliding 60 s windows;
    tokens estimated as request bytes / 4, then replaced by the answer's
    ``usageMetadata.totalTokenCount``; see :meth:`report_usage`).

    ``instrument=True`` traces this client's model calls as OpenTelemetry spans (the ``otel``
    extra); the default follows :func:`genai_async.instrument`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_options: Any = None,
        timeout: float | None = _UNSET,
        connect_timeout: float | None = _UNSET,
        total_timeout: float | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        allow_insecure_http: bool = False,
        retry: bool | RetryPolicy | Any = _UNSET,
        max_in_flight: int | None = None,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        vertexai: bool | None = None,
        instrument: bool | None = None,
    ) -> None:
        if vertexai:
            raise ConfigurationError("genai_async talks to the Gemini API only; Vertex AI is not supported")
        self._settings: Settings = resolve(
            api_key=api_key,
            base_url=base_url,
            http_options=http_options,
            timeout=timeout,
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
            max_connections=max_connections,
            allow_insecure_http=allow_insecure_http,
            retry=retry,
            unset=_UNSET,
        )
        self._transport = Transport(self._settings, prepare=_prepare)
        self._rng = random.Random()
        self._limiter = Limiter(
            max_in_flight=max_in_flight, requests_per_minute=requests_per_minute, tokens_per_minute=tokens_per_minute
        )
        self.models = Models(self)
        if instrument or (instrument is None and _OTEL.enabled):  # the OpenTelemetry seam (_otel.py)
            from ._otel import instrument_client

            instrument_client(self)

    # The other resources load their modules on first use: ``import genai_async`` stays lighter.
    @functools.cached_property
    def chats(self) -> Chats:
        from ._resources.chats import Chats

        return Chats(self)

    @functools.cached_property
    def files(self) -> Files:
        from ._resources.files import Files

        return Files(self)

    @functools.cached_property
    def caches(self) -> Caches:
        from ._resources.caches import Caches

        return Caches(self)

    @functools.cached_property
    def live(self) -> Live:
        """Live API sessions over WebSocket: ``async with client.live.connect(model=...) as session``."""
        from ._resources.live import Live

        return Live(self)

    @functools.cached_property
    def batches(self) -> Batches:
        from ._resources.batches import Batches

        return Batches(self)

    @property
    def aio(self) -> Client:
        """The client itself: ``client.aio.models.generate_content(...)`` works as in the official SDK."""
        return self

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    def __repr__(self) -> str:
        return f"<genai_async.Client base_url={self._settings.base_url!r} api_key='***'>"

    async def _send(self, req: Request) -> Response:
        """The send loop: an attempt (:meth:`_attempt`), and while the retry policy of
        ``req.settings`` allows, another; the raised error says how many attempts ran (``attempts``).
        Unary calls, their continuation hops, downloads and uploads go through it; a stream drives
        :meth:`_attempt` and :meth:`_retry_delay` itself, because its attempts also span the read
        before its first chunk (``_streaming.ResponseStream``)."""
        attempt = 1
        while True:
            try:
                return await self._attempt(req)
            except GenAIError as exc:
                exc.attempts = attempt
                delay = self._retry_delay(req, exc, attempt)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                attempt += 1

    def _retry_delay(self, req: Request, exc: GenAIError, attempt: int) -> float | None:
        """The retry rule: seconds to wait before attempt ``attempt + 1`` of ``req`` after ``exc``
        (logged), or None to give up."""
        policy = req.settings.retry
        delay = None if policy is None else policy.delay(exc, attempt, req.method, self._rng)
        if delay is not None:
            logger.info(retry_message(req.method, req.endpoint, delay, attempt, exc))
        return delay

    def _attempt(self, req: Request) -> Awaitable[Response]:
        """One attempt: the transport's send, behind the client-side limits when any are set. A
        plain method that returns the awaitable: without limits no coroutine frame of its own (one
        frame is ~1 % of a unary request: the send loop's own frame and Request moved it from
        446k/447k to 453k instructions, benchmarks/instructions.py --shape unary)."""
        if self._limiter.active:
            return self._send_limited(req)
        return self._send_now(req)

    def _send_now(self, req: Request) -> Awaitable[Response]:
        """``req`` handed to the transport as it is (the one place a Request becomes its arguments)."""
        return self._transport.send(
            req.method,
            req.path,
            settings=req.settings,
            endpoint=req.endpoint,
            body=req.body,
            headers=req.headers,
            stream=req.stream,
            params=req.params,
        )

    async def _send_limited(self, req: Request) -> Response:
        """One attempt that first waits for the client-side limits; the slot goes back with the response."""
        limiter = self._limiter
        body = req.body
        ticket = await limiter.acquire(len(body) if isinstance(body, (bytes, bytearray)) else 0)
        try:
            resp = await self._send_now(req)
        except BaseException:
            limiter.release()
            raise
        resp._on_done = limiter.release
        resp.usage_ticket = ticket
        return resp

    async def _call(
        self,
        method: str,
        path: str,
        type_: type[T],
        *,
        body: Any = None,
        http_options: Any = None,
        params: dict[str, str] | None = None,
    ) -> T:
        """One JSON request/response exchange decoded into ``type_`` (the non-streaming endpoints)."""
        settings = with_overrides(self._settings, http_options)
        data = None if body is None else encode(body)
        resp = await self._send(Request(method, path, endpoint=path, settings=settings, body=data, params=params))
        raw = await resp.read()
        try:
            result = decode(raw or b"{}", type_)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            what = type_.__name__
            if "UTF-8" in str(exc):  # as in streams (_streaming._UTF8_ERRORS): never U+FFFD silently
                what = f"{what}: it is invalid UTF-8 (the service sends UTF-8: the bytes were corrupted on the way)"
            del raw  # a traceback formatted with locals must not show the body (a proxy may echo the key)
            traceback.clear_frames(exc.__traceback__)
            raise StreamError(f"{path}: HTTP {resp.status} but the body is not a valid {what} ({exc})") from exc
        if resp.usage_ticket is not None:
            settle_usage(resp.usage_ticket, getattr(result, "usage_metadata", None))
        return result

    def report_usage(self, tokens: int | Any) -> None:
        """Count tokens against ``tokens_per_minute`` that this client did not see: an int, or a
        response / ``usage_metadata`` whose ``total_token_count`` is used (for instance the usage of
        another client or process sharing the key's quota). ``generate_content`` and streams settle
        their own estimate with the answer's true usage already; no-op without ``tokens_per_minute``."""
        usage = getattr(tokens, "usage_metadata", tokens)
        count = usage if isinstance(usage, int) else getattr(usage, "total_token_count", None)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ConfigurationError(f"report_usage() takes a token count or a response with usage, got {tokens!r}")
        self._limiter.report(count)

    @property
    def open_connections(self) -> int:
        """Connections currently open in this client's pool (idle or in use)."""
        return self._transport.open_connections

    async def aclose(self) -> None:
        """Close every pooled connection; idempotent. The client cannot be used afterwards."""
        await self._transport.aclose()

    async def __aenter__(self) -> Client:
        """Open the connection pool now (aiohttp is imported in a worker thread, not on the loop),
        so the first request does not pay for it."""
        await self._transport.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
