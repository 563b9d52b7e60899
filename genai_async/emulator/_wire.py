"""Wire formatting shared by every emulator endpoint: JSON layout, error envelopes, key spelling.

The service formats unary bodies with a 2-space indent and a trailing newline, and SSE payloads on
one line with ``": "`` after keys and a bare ``,`` between members (gemini-rest.md §0). Requests
are parsed with msgspec; output is written with the standard library's ``json`` because only it
lets us choose those separators and spells numbers as Python does. Its indenting encoder is pure
Python (about 0.1 ms for a small answer), so :func:`pretty` encodes on one line with its C encoder
and lets ``msgspec.json.format`` indent that text: tokens are copied as written, the bytes are the
same. Field names arrive in camelCase or proto snake_case (§0), so
:func:`camelize` rewrites keys once, leaving user-owned maps (schema ``properties``, function
``args``) alone.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
from collections.abc import Callable
from typing import Any

import msgspec

from ._lenient import to_json

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

# google.rpc.Code names by HTTP status, used when a caller scripts an error without a status name.
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "RESOURCE_EXHAUSTED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Messages copied from tests/fixtures/error_*.json.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    403: (
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API."
    ),
    404: "Requested entity was not found.",
    429: (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    ),
    500: (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    ),
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
BAD_KEY_MESSAGE = "API key not valid. Please pass a valid API key."

_DECODER = msgspec.json.Decoder()
_format = msgspec.json.format


def _one_line_encoder() -> Callable[[Any], str]:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``, its C encoder built once."""
    slow = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    try:
        chunks = make(None, slow.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)  # type: ignore[misc]
    except TypeError:  # no C accelerator, or another signature: the public path
        return slow.encode
    return lambda obj: "".join(chunks(obj, 0))


_ONE_LINE = _one_line_encoder()
_SIMPLE_ONE_LINE = msgspec.json.Encoder().encode


class ApiError(Exception):
    """An error reply in the service's envelope; raised anywhere in a handler, rendered once."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, "Error.")
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details
        self.headers = headers or {}
        super().__init__(f"{code} {self.status}: {self.message}")

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_key_error() -> ApiError:
    return ApiError(
        400,
        BAD_KEY_MESSAGE,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": BAD_KEY_MESSAGE,
            },
        ],
    )


def retry_details(retry_delay: float) -> list[dict[str, Any]]:
    """The RetryInfo detail of a 429, e.g. ``{"retryDelay": "37s"}``."""
    return [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": duration(retry_delay)}]


def pretty(obj: Any, *, simple: bool = False) -> bytes:
    """A unary body: 2-space indent, ``": "`` after keys, UTF-8 unescaped, trailing newline."""
    return pretty_element(obj, simple=simple) + b"\n"


def pretty_element(obj: Any, *, simple: bool = False) -> bytes:
    """One element of a JSON-array stream: pretty-printed without the trailing newline.

    The same bytes as ``json.dumps(obj, indent=2, ensure_ascii=False)``, about 20 times faster
    (see the module docstring); NaN and infinities, which are not JSON, take the slow path.
    ``simple``: the caller knows ``obj`` holds no float and no ``None`` (dicts, lists, strings,
    ints, bools, string keys), where msgspec's compact JSON, four times faster still, is the
    stdlib's byte for byte (msgspec spells some floats differently and writes NaN as null).
    """
    compact = _SIMPLE_ONE_LINE(obj) if simple else _ONE_LINE(obj).encode()
    try:
        return _format(compact, indent=2)
    except msgspec.DecodeError:
        return json.dumps(obj, indent=2, ensure_ascii=False).encode()


def one_line(obj: Any) -> bytes:
    """An SSE payload: one line, ``": "`` after keys, bare ``,`` between members."""
    return json.dumps(obj, separators=(",", ": "), ensure_ascii=False).encode()


def decode_json(raw: bytes) -> Any:
    """Parse a request body; malformed JSON becomes the service's 400.

    Strict JSON first (the fast path); then, like Google's front end, single-quoted strings and
    trailing commas are accepted (see :mod:`._lenient`) before the body is refused.
    """
    try:
        return _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        error = ApiError(400, f"Invalid JSON payload received. Unexpected token ({exc}).")
        if raw.lstrip()[:1] not in (b"{", b"["):
            raise error from exc
        try:
            return _DECODER.decode(to_json(raw.decode()).encode())
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise error from exc


_SNAKE = re.compile(r"_([a-z0-9])")
# Keys whose value is a map of user-chosen names, not message fields.
_MAP_KEYS = frozenset({"properties", "$defs", "defs", "labels", "metadata", "definitions"})
# Keys whose whole value is arbitrary JSON (google.protobuf.Struct / Value).
_OPAQUE_KEYS = frozenset(
    {"args", "responseJsonSchema", "parametersJsonSchema", "_responseJsonSchema", "example", "default"}
)


def camel(name: str) -> str:
    """``display_name`` -> ``displayName``; names without ``_`` are returned unchanged."""
    if "_" not in name.strip("_"):
        return name
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    """``generationConfig`` -> ``generation_config`` (used in error messages, as the service does)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def camelize(value: Any, key: str = "", parent: str = "") -> Any:
    """Rewrite snake_case field names to camelCase throughout a request, as proto3 JSON accepts both."""
    if key in _OPAQUE_KEYS or (key == "response" and parent == "functionResponse"):
        return value
    if isinstance(value, dict):
        keep = key in _MAP_KEYS
        out: dict[str, Any] = {}
        for k, v in value.items():
            new_key = k if keep or "_" not in k else camel(k)
            out[new_key] = camelize(v, "" if keep else new_key, key)
        return out
    if isinstance(value, list):
        return [camelize(v, key, parent) for v in value]
    return value


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def timestamp(moment: _dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``, like ``2026-08-21T09:14:03.512846Z``."""
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, f"Invalid value (expire_time), {text!r} is not an RFC 3339 timestamp.") from exc
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


def duration(seconds: float) -> str:
    """``37`` -> ``"37s"``; ``1.5`` -> ``"1.5s"`` (proto Duration JSON)."""
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds:g}s"


def parse_duration(text: Any, field: str = "ttl") -> float:
    if isinstance(text, str) and re.fullmatch(r"\d+(\.\d+)?s", text):
        return float(text[:-1])
    raise ApiError(400, f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Duration), {text!r}")


def page_token(name: str) -> str:
    """An opaque token shaped like the service's (``CiNtb2RlbHMv...``): a proto field 1 holding ``name``."""
    raw = name.encode()
    return base64.b64encode(b"\n" + bytes([len(raw) % 256]) + raw).decode()


def read_page_token(token: str) -> str:
    try:
        raw = base64.b64decode(token, validate=True)
    except ValueError as exc:
        raise ApiError(400, "Invalid page token.") from exc
    if len(raw) < 2 or raw[0] != 0x0A:
        raise ApiError(400, "Invalid page token.")
    return raw[2:].decode(errors="replace")


def page_size(query: dict[str, str], default: int, maximum: int) -> int:
    text = query.get("pageSize") or query.get("page_size")
    if not text:
        return default
    try:
        size = int(text)
    except ValueError as exc:
        raise ApiError(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{text}\"") from exc
    if size < 0:
        raise ApiError(400, "page_size must not be negative.")
    return min(size or default, maximum)


def paginate(
    items: list[dict[str, Any]], query: dict[str, str], key: str, *, default: int, maximum: int
) -> dict[str, Any]:
    """One page of ``items`` (each with a ``name``) as ``{key: [...], "nextPageToken"?}``."""
    size = page_size(query, default, maximum)
    start = 0
    token = query.get("pageToken") or query.get("page_token")
    if token:
        after = read_page_token(token)
        names = [item["name"] for item in items]
        if after not in names:
            raise ApiError(400, "Invalid page token.")
        start = names.index(after) + 1
    page = items[start : start + size]
    body: dict[str, Any] = {key: page} if page else {}
    if start + size < len(items) and page:
        body["nextPageToken"] = page_token(page[-1]["name"])
    return body
