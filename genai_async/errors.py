"""Exceptions raised by genai_async.

The tree::

    GenAIError                      every error this library raises on purpose
    ├── ConfigurationError (ValueError)   bad input caught before any request is sent
    ├── APIError                    the service answered with an error envelope
    │   ├── ClientError             4xx: fix the request, retrying will not help
    │   └── ServerError             5xx: the service failed; often worth a retry
    ├── StreamError                 a 200 stream broke its contract (truncated, cut JSON, mixed ids)
    ├── ParseError (ValueError)     never raised by a call: ``response.parse_error`` when structured
    │                               output did not parse into ``response_schema`` (``parsed`` is None)
    └── TransportError              no usable HTTP exchange happened
        ├── ConnectionError (builtins.ConnectionError)   connect, reset or disconnect
        └── TimeoutError (builtins.TimeoutError)         a time limit fired; ``.limit`` says which

Error bodies are read here too: :func:`api_error` turns an HTTP error body into the right
:class:`APIError`, :func:`inband_error` an error sent inside a 200 stream; both recognise the
envelope with :func:`is_envelope`, the one rule for "this JSON is an error".

Errors hold plain data. ``partial`` (on APIError and StreamError) is the stitched
:class:`~genai_async.types.GenerateContentResponse` of what a stream delivered before it failed,
so nothing the service produced is lost.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import GenerateContentResponse

__all__ = [
    "APIError",
    "ClientError",
    "ConfigurationError",
    "ConnectionError",
    "GenAIError",
    "ParseError",
    "ServerError",
    "StreamError",
    "TimeoutError",
    "TransportError",
]

_EXCERPT = 512


class GenAIError(Exception):
    """Base class of every error genai_async raises on purpose."""

    attempts: int = 1
    """How many HTTP attempts were made before this error surfaced (retries included)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as data (message args and attributes, ``.partial`` included), not by calling
        ``__init__`` again with the message alone: errors cross process boundaries
        (multiprocessing, Ray). The cause chain is not pickled (it may hold lower-library objects)."""
        return (_restore, (type(self), self.args, dict(vars(self))))


def _restore(cls: type[GenAIError], args: tuple[Any, ...], state: dict[str, Any]) -> GenAIError:
    error = cls.__new__(cls)
    error.args = args
    vars(error).update(state)
    return error


class ConfigurationError(GenAIError, ValueError):
    """Raised before any request is sent when an argument, key or config value is unusable."""


class APIError(GenAIError):
    """Raised when the service answers with an error envelope (HTTP status or in-band)."""

    close_code: int | None = None
    """The WebSocket close code when a Live session was closed with this error (None for REST)."""

    def __init__(
        self,
        code: int,
        status: str | None,
        message: str,
        details: list[Any] | None = None,
        *,
        endpoint: str | None = None,
        partial: GenerateContentResponse | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.message = message
        self.details = list(details or [])
        self.endpoint = endpoint
        self.partial = partial
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.code} {self.status}" if self.status else str(self.code)
        where = f" ({self.endpoint})" if self.endpoint else ""
        return f"{head}{where}: {self.message}"

    @property
    def retry_delay(self) -> float | None:
        """Seconds the service asked us to wait (``RetryInfo.retryDelay``), or None."""
        for detail in self.details:
            if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("RetryInfo"):
                return parse_duration(detail.get("retryDelay"))
        return None

    @classmethod
    def from_envelope(
        cls,
        http_status: int,
        body: Any,
        *,
        reason: str | None = None,
        raw: bytes = b"",
        endpoint: str | None = None,
        partial: GenerateContentResponse | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> APIError:
        """Build the right subclass from an HTTP status and a decoded (or undecodable) body."""
        if isinstance(body, list) and len(body) == 1:  # an HTTP error body may be a one-element array
            body = body[0]
        err = body["error"] if is_envelope(body) else None
        if isinstance(err, Mapping):
            code: int = err["code"] if type(err.get("code")) is int else http_status
            status, message = err.get("status"), str(err.get("message", ""))
            details = err.get("details") if isinstance(err.get("details"), list) else None
        else:
            code, status, details = http_status, reason, None
            message = body_excerpt(raw) or (reason or "no error body")
        klass = error_class(code)
        return klass(code, status, message, details, endpoint=endpoint, partial=partial, headers=headers)


class ClientError(APIError):
    """Raised for 4xx answers: the request (key, model, arguments, quota) needs fixing."""


class ServerError(APIError):
    """Raised for 5xx answers (and in-band 5xx errors mid-stream): the service failed."""


class StreamError(GenAIError):
    """Raised when a 200 stream ends early, carries cut JSON or mixes response ids."""

    def __init__(self, message: str, *, partial: GenerateContentResponse | None = None) -> None:
        self.message = message
        self.partial = partial
        super().__init__(message)


class ParseError(GenAIError, ValueError):
    """Stored on ``response.parse_error`` (never raised by a call) when structured output did not parse.

    ``kind`` is ``"no_output"`` (the answer has no text), ``"invalid_json"`` (text that is not JSON)
    or ``"schema_mismatch"`` (JSON, or an enum value, that does not fit ``response_schema``; the
    validator's own error is ``__cause__``). ``text`` is the output as received."""

    def __init__(self, message: str, *, kind: str, text: str | None) -> None:
        self.message = message
        self.kind = kind
        self.text = text
        super().__init__(message)


class TransportError(GenAIError):
    """Raised when no usable HTTP exchange happened (wrapped aiohttp/OS error in ``__cause__``)."""

    def __init__(
        self, message: str, *, partial: GenerateContentResponse | None = None, request_sent: bool = True
    ) -> None:
        self.message = message
        self.partial = partial
        self.request_sent = request_sent
        """False when the request provably never reached the server (safe to retry any method)."""
        super().__init__(message)


class ConnectionError(TransportError, builtins.ConnectionError):
    """Raised when connecting fails or the connection is reset or dropped."""


class TimeoutError(TransportError, builtins.TimeoutError):
    """Raised when a time limit fires; ``limit`` is "connect", "read" or "total"."""

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        seconds: float | None,
        partial: GenerateContentResponse | None = None,
        request_sent: bool = True,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        super().__init__(message, partial=partial, request_sent=request_sent)


def is_envelope(body: Any) -> bool:
    """Whether a decoded JSON body is an error envelope: an object with a top-level ``error`` key
    (wherever it sits among the keys; docs/gemini-rest.md §5.7). The one recognition rule, for HTTP
    error bodies (:meth:`APIError.from_envelope`) and in-band stream errors (:func:`inband_error`)."""
    return isinstance(body, Mapping) and "error" in body


def api_error(status: int, raw: bytes, *, reason: str | None, endpoint: str, headers: Any = None) -> APIError:
    """Decode an HTTP error body (JSON envelope, one-element array, or HTML) into the right APIError."""
    from ._codec import decode_json  # (errors stays standard-library-only at import; this is an error path)

    try:
        body = decode_json(raw)
    except ValueError:
        body = None
    return APIError.from_envelope(status, body, reason=reason, raw=raw, endpoint=endpoint, headers=dict(headers or {}))


def inband_error(text: str, *, endpoint: str) -> APIError | None:
    """The APIError a 200 stream carries in-band (an event, or JSON outside SSE framing, that is an
    error envelope), or None when ``text`` is not one. Its class follows ``error.code`` (500 when the
    envelope has no numeric code: the stream failed on the service's side)."""
    from ._codec import decode_json

    try:
        body = decode_json(text)
    except ValueError:
        return None  # not JSON at all: the caller reports it as a broken event
    if not is_envelope(body):
        return None
    err = body["error"]
    code = err.get("code") if isinstance(err, Mapping) else None
    return APIError.from_envelope(code if type(code) is int else 500, body, endpoint=endpoint)


def error_class(code: int) -> type[APIError]:
    """The exception class for an HTTP status code (one table for the whole library)."""
    if 400 <= code < 500:
        return ClientError
    if code >= 500:
        return ServerError
    return APIError


def body_excerpt(raw: bytes, limit: int = _EXCERPT) -> str:
    """A short, single-spaced text excerpt of a non-JSON error body (an HTML 502 from a proxy)."""
    text = raw[: limit * 4].decode("utf-8", "replace")
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")


def parse_duration(value: object) -> float | None:
    """Parse a protobuf Duration string such as ``"37s"`` or ``"45.837906927s"`` into seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1))
    return None
