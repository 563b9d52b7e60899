"""WebSocket transport for the Live API: the one place live sessions touch aiohttp.

The socket is opened on the client's pooled ``aiohttp.ClientSession`` (same TLS settings and
User-Agent as REST) with the key in the ``x-goog-api-key`` header, never in the URL. Frames are read
undecoded (``decode_text=False``): a text or binary frame reaches msgspec as the bytes that came off
the wire. Frames are sent as text frames of UTF-8 JSON, as the official SDK sends them.

Time limits: connecting (TCP, TLS and the upgrade) is bounded by the client's ``connect_timeout``;
the session's own code bounds the wait for ``setupComplete`` with the silence limit. Reads inside a
session have no silence limit (a live session may be quiet for minutes); a 30 s heartbeat (ping)
notices a dead peer instead.

Back-pressure: :meth:`Socket.send` writes one frame and waits while aiohttp's write buffer is over
its high-water mark (64 KiB) and the session sends one frame at a time, so a producer of realtime
audio faster than the network waits instead of growing a buffer.

Errors: aiohttp/OS errors are translated here, close frames by ``_live_protocol.close_error``.
"""

from __future__ import annotations

import asyncio
import builtins
from typing import TYPE_CHECKING, Any

from ._live_protocol import close_error
from ._options import Settings, redact_url
from ._transport import Transport, translate
from .errors import ConnectionError, GenAIError, StreamError, TimeoutError, api_error

if TYPE_CHECKING:
    import aiohttp

HEARTBEAT = 30.0
"""Seconds between pings; a peer that misses the pong is treated as a dropped socket."""
MAX_FRAME = 16 * 1024 * 1024
"""Largest frame accepted from the server (audio frames are a few KiB)."""


class Closed(Exception):
    """Internal: the socket closed; ``error`` is what a caller should see (the session decides)."""

    def __init__(self, code: int | None, reason: str, error: GenAIError) -> None:
        self.code = code
        self.reason = reason
        self.error = error
        super().__init__(str(error))


class Socket:
    """One open WebSocket of a live session."""

    __slots__ = ("_ws", "endpoint", "_text")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse[Any], endpoint: str) -> None:
        self._ws = ws
        self.endpoint = endpoint
        from aiohttp import WSMsgType

        self._text = WSMsgType.TEXT

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def receive(self) -> bytes:
        """The next frame's payload; raises :class:`Closed` when the socket is closed or fails."""
        msg = await self._ws.receive()
        data = msg.data
        if type(data) is bytes:  # TEXT (undecoded) and BINARY frames: the usual case
            return data
        raise self._closed(msg)

    def _closed(self, msg: Any) -> Closed:
        from aiohttp import WebSocketError, WSMsgType

        if msg.type is WSMsgType.ERROR:
            exc = msg.data
            if isinstance(exc, WebSocketError) and exc.code == 1009:
                err: GenAIError = StreamError(f"{self.endpoint}: the server sent a frame over {MAX_FRAME} bytes")
            else:
                err = ConnectionError(f"{self.endpoint}: the live connection failed: {type(exc).__name__}: {exc}")
            return Closed(self._ws.close_code, str(exc), err)
        if msg.type is WSMsgType.CLOSE:
            code, reason = msg.data, msg.extra or ""
        else:  # CLOSED / CLOSING: the connection ended without a close frame reaching us (a drop)
            code, reason = None, ""
        return Closed(code, reason, close_error(code, reason, self.endpoint))

    async def send(self, frame: bytes) -> None:
        """Write one text frame, waiting while the write buffer is full; :class:`Closed` if it cannot."""
        try:
            await self._ws.send_frame(frame, self._text)
        except Exception as exc:
            code = self._ws.close_code
            code = None if code in (None, 1000, 1006) else code
            raise Closed(code, str(exc), close_error(code, "", self.endpoint)) from exc

    async def close(self, code: int = 1000, reason: bytes = b"") -> None:
        """Close the socket (bounded by aiohttp's 10 s close timeout); never raises."""
        try:
            await self._ws.close(code=code, message=reason)
        except Exception:  # a broken socket is closed anyway
            pass

    def abort(self) -> None:
        """Drop the connection at once, waking a pending :meth:`receive` (paths that cannot await).

        aiohttp has no public abort; its heartbeat-failure handler does exactly this (marks the
        socket closed, stops the heartbeat, closes the connection, wakes the reader)."""
        ws = self._ws
        if not ws.closed:
            ws._handle_ping_pong_exception(builtins.ConnectionResetError("live connection aborted"))


async def connect(transport: Transport, url: str, settings: Settings, endpoint: str) -> Socket:
    """Open the socket within ``connect_timeout``; errors are ours (Timeout/Connection/APIError)."""
    session = await transport.open()
    headers = {**settings.headers, "x-goog-api-key": settings.api_key}
    try:
        opening = session.ws_connect(
            url,
            headers=headers,
            heartbeat=HEARTBEAT,
            max_msg_size=MAX_FRAME,
            decode_text=False,
            autoclose=True,
            autoping=True,
        )
        ws = await asyncio.wait_for(opening, settings.connect_timeout)
    except asyncio.TimeoutError as exc:
        raise TimeoutError(
            f"connect timeout: no live connection to {redact_url(url)} within {settings.connect_timeout}s "
            "(raise connect_timeout= or check the network)",
            limit="connect",
            seconds=settings.connect_timeout,
            request_sent=False,
        ) from exc
    except Exception as exc:
        raise _upgrade_error(exc, endpoint, settings) from exc
    return Socket(ws, endpoint)


def _upgrade_error(exc: Exception, endpoint: str, settings: Settings) -> Exception:
    """A failed upgrade: an HTTP error status becomes the REST error for it, the rest as REST."""
    from aiohttp import WSServerHandshakeError

    if isinstance(exc, WSServerHandshakeError):
        reason = exc.message or ""
        return api_error(exc.status, reason.encode(), reason=reason, endpoint=endpoint)
    return translate(exc, endpoint, settings, reading=False)
