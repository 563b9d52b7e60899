"""Client settings: where they come from (arguments, ``http_options``, environment) and their defaults.

Everything is resolved once, when the client is built, into a frozen :class:`Settings`; a request
may override the time limits and headers through ``config.http_options`` (milliseconds, like the
official SDK) and gets a :class:`Settings` of its own from :func:`with_overrides`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ._normalize import option, snake, to_struct
from ._retry import RetryPolicy, policy_from
from ._secrets import Secret
from .errors import ConfigurationError
from .types import HttpOptions

logger = logging.getLogger("genai_async")
"""The package's logger: every module logs through this one (or :data:`live_logger`)."""
live_logger = logger.getChild("live")
"""Live API sessions and their tools (``genai_async.live``), to be tuned apart from the rest."""

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_API_VERSION = "v1beta"
DEFAULT_TIMEOUT = 600.0
"""Longest silence allowed (s): waiting for headers, for the first chunk, or between chunks.
Thinking models can be silent for minutes before their first chunk, hence ten minutes."""
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 100

_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$")


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (localhost, 127.x.x.x or ::1): plain http is fine
    there, and the CLI and the bench use the emulator's key for it."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and _LOOPBACK.match(host) is not None


@dataclasses.dataclass(frozen=True, eq=False)
class Settings:
    """Resolved settings of one client, or of one request after its overrides.

    Compared and hashed by identity (``eq=False``): caches keyed by settings then cost one pointer
    hash per request instead of hashing every field.
    """

    api_key: str = dataclasses.field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    timeout: float | None = DEFAULT_TIMEOUT
    connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT
    total_timeout: float | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    allow_insecure_http: bool = False
    retry: RetryPolicy | None = RetryPolicy()

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``models/x:generateContent``."""
        return f"{self.base_url}/{self.api_version}/{path}"


def env_api_key() -> str | None:
    """The key from the environment, with the official SDK's precedence (GOOGLE_API_KEY first)."""
    google, gemini = os.environ.get("GOOGLE_API_KEY"), os.environ.get("GEMINI_API_KEY")
    if google and gemini:
        logger.warning("Both GOOGLE_API_KEY and GEMINI_API_KEY are set; using GOOGLE_API_KEY.")
    return google or gemini or None


def _seconds_from_ms(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"{what} must be a positive number of milliseconds, got {value!r}")
    if value < 1000:  # {"timeout": 5} is 5 ms: almost always seconds meant in the SDK's ms field
        import warnings

        warnings.warn(
            f"{what}={value!r} is in milliseconds (the official SDK's unit): {value / 1000:g} s. "
            f"If you meant seconds, pass timeout={value!r} to the Client (seconds) or "
            f"http_options={{'timeout': {value * 1000!r}}}",
            UserWarning,
            stacklevel=4,
        )
    return float(value) / 1000.0


_UNSUPPORTED = {
    "client_args": "genai_async owns its aiohttp session; use max_connections=, timeout=, connect_timeout=",
    "async_client_args": "genai_async owns its aiohttp session; use max_connections=, timeout=, connect_timeout=",
    "httpx_client": "genai_async does not use httpx",
    "httpx_async_client": "genai_async does not use httpx",
    "aiohttp_client": "genai_async owns its aiohttp session",
    "extra_body": "extra request fields are not sent",
    "base_url_resource_scope": "it is a Vertex AI setting",
}
"""Official-SDK ``HttpOptions`` fields genai_async has no equivalent for, and why."""


def check_http_options(http_options: Any, path: str = "http_options") -> HttpOptions | None:
    """``http_options`` (a dict in either key spelling, ``types.HttpOptions``, or the official SDK's
    ``HttpOptions``) as a checked :class:`types.HttpOptions`: an unknown key is a ConfigurationError
    with the closest valid one, as for config dicts."""
    if http_options is None or isinstance(http_options, HttpOptions) and path != "http_options":
        return http_options  # None, or a config's own http_options, already checked by to_struct
    if not isinstance(http_options, (Mapping, HttpOptions)):
        dump = getattr(http_options, "model_dump", None)  # the official SDK's pydantic HttpOptions
        if not callable(dump):
            raise ConfigurationError(
                f"{path} must be a dict or types.HttpOptions, got {type(http_options).__name__} {http_options!r:.60}"
            )
        http_options = dump(exclude_none=True)
    if isinstance(http_options, Mapping):
        for key in http_options:
            name = snake(str(key))
            if name in _UNSUPPORTED and http_options[key] is not None:
                raise ConfigurationError(f"{path}.{name} is not supported by genai_async: {_UNSUPPORTED[name]}")
    return to_struct(http_options, HttpOptions, path)


def _positive(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"{what} must be a positive number of seconds or None, got {value!r}")
    return float(value)


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> str:
    """Validate a base URL; refuse to send the key in clear text to a non-loopback host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must look like 'https://host[:port]', got {redact_url(base_url)!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            "base_url must not carry a query, fragment or credentials "
            f"(got {redact_url(base_url)!r}); pass the key as api_key="
        )
    if parts.scheme == "http" and not is_loopback(base_url):
        if not allow_insecure_http:
            raise ConfigurationError(
                f"refusing to send the API key over plain http to {parts.hostname!r}; use https, "
                "or pass allow_insecure_http=True if this host is trusted"
            )
        if parts.hostname not in _warned_insecure:
            _warned_insecure.add(parts.hostname)
            logger.warning(
                "allow_insecure_http=True: the API key is sent in clear text over plain http to %r; anyone on "
                "the network path can read it (use https unless this network is trusted)",
                parts.hostname,
            )
    return base_url.rstrip("/")


_warned_insecure: set[str] = set()
"""Hosts already warned about (once per process each): a client built per request warns once."""


_API_VERSION = re.compile(r"v[0-9]+[a-z0-9]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token


def check_api_version(value: Any) -> str:
    """A plain version path segment (``v1``, ``v1beta``, ``v1alpha``, ...): anything else (a query,
    a fragment, ``..``) would reroute the request."""
    version = value.strip("/") if isinstance(value, str) else None
    if version is None or not _API_VERSION.fullmatch(version):
        raise ConfigurationError(
            f"http_options.api_version must be a plain version such as 'v1beta', 'v1' or 'v1alpha', got {value!r}"
        )
    return version


def check_header_value(value: Any, what: str) -> str:
    """A header value as sent: a string without CR, LF or NUL (which would split or end the header).
    The value itself is not repeated in the message (it may be a credential)."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, got {type(value).__name__}")
    for bad, name in (("\r", "a carriage return (CR)"), ("\n", "a line feed (LF)"), ("\0", "a NUL character")):
        if bad in value:
            raise ConfigurationError(
                f"{what} contains {name} at position {value.index(bad)}; a header value cannot hold it (remove it)"
            )
    return value


def check_headers(headers: Any, what: str) -> dict[str, str]:
    """``http_options.headers`` checked before any request: token names, values as :func:`check_header_value`."""
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"{what} must be a mapping of header names to strings, got {type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ConfigurationError(f"{what}: {name!r} is not a valid HTTP header name")
        check_header_value(value, f"{what}[{name!r}]")
    return dict(headers)


def redact_url(url: str) -> str:
    """The URL with any ``key=`` query value and userinfo replaced, safe for messages."""
    url = re.sub(r"([?&]key=)[^&#]*", r"\1REDACTED", url)
    return re.sub(r"//[^/@]*@", "//REDACTED@", url)


def resolve(
    *,
    api_key: str | None,
    base_url: str | None,
    http_options: Any,
    timeout: float | None | object,
    connect_timeout: float | None | object,
    total_timeout: float | None,
    max_connections: int,
    allow_insecure_http: bool,
    retry: Any,
    unset: object,
) -> Settings:
    """Build the client's :class:`Settings` (argument > http_options > environment > default)."""
    key = api_key or env_api_key()
    if not key:
        raise ConfigurationError(
            "no API key: pass Client(api_key=...) or set GEMINI_API_KEY (or GOOGLE_API_KEY); "
            "get a key at https://aistudio.google.com/apikey"
        )
    if not isinstance(key, str) or any(c.isspace() for c in key):
        raise ConfigurationError("the API key must be a string without spaces or newlines")
    http_options = check_http_options(http_options)
    base = base_url or option(http_options, "base_url") or os.environ.get("GENAI_ASYNC_BASE_URL")
    base = check_base_url(base or DEFAULT_BASE_URL, allow_insecure_http=allow_insecure_http)
    version = check_api_version(option(http_options, "api_version") or DEFAULT_API_VERSION)
    ms = _seconds_from_ms(option(http_options, "timeout"), "http_options.timeout")
    read = DEFAULT_TIMEOUT if timeout is unset else _positive(timeout, "timeout")
    if ms is not None and timeout is unset:
        read = ms
    conn = DEFAULT_CONNECT_TIMEOUT if connect_timeout is unset else _positive(connect_timeout, "connect_timeout")
    if not isinstance(max_connections, int) or max_connections < 1:
        raise ConfigurationError(f"max_connections must be a positive int, got {max_connections!r}")
    headers = check_headers(option(http_options, "headers") or {}, "http_options.headers")
    retry_options = option(http_options, "retry_options")
    chosen = retry_options if retry is unset else retry
    what = "retry" if retry is not unset else "http_options.retry_options"
    policy = policy_from(None if chosen is unset else chosen, what)
    return Settings(
        api_key=Secret(key),
        base_url=base,
        api_version=version,
        timeout=read,
        connect_timeout=conn,
        total_timeout=_positive(total_timeout, "total_timeout"),
        headers=headers,
        max_connections=max_connections,
        allow_insecure_http=allow_insecure_http,
        retry=policy,
    )


def with_overrides(settings: Settings, http_options: Any) -> Settings:
    """Per-request settings: ``config.http_options`` may change timeout (ms), headers, api_version,
    base_url and retry_options (``{"attempts": 1}`` or False turns retries off for the request)."""
    if http_options is None:
        return settings
    http_options = check_http_options(http_options, "config.http_options")
    changes: dict[str, Any] = {}
    ms = _seconds_from_ms(option(http_options, "timeout"), "http_options.timeout")
    if ms is not None:
        changes["timeout"] = ms
    version = option(http_options, "api_version")
    if version:
        changes["api_version"] = check_api_version(version)
    base = option(http_options, "base_url")
    if base:
        changes["base_url"] = check_base_url(base, allow_insecure_http=settings.allow_insecure_http)
    retry_options = option(http_options, "retry_options")
    if retry_options is not None:
        changes["retry"] = policy_from(retry_options, "config.http_options.retry_options")
    extra = option(http_options, "headers")
    if extra:
        changes["headers"] = {**settings.headers, **check_headers(extra, "http_options.headers")}
    return dataclasses.replace(settings, **changes) if changes else settings
