"""``client.caches``: explicit context caches (``cachedContents``, docs §10).

Expiry is the only mutable field, and the wire wants it as text: ``ttl`` is a Duration (``"300s"``)
and ``expireTime`` an RFC 3339 timestamp. Users may also pass seconds (int/float), a
``datetime.timedelta`` or an aware ``datetime``; we convert here, before the config is checked
(its fields are typed ``str``), so the request always carries the canonical strings. A naive
datetime is refused rather than guessed to be UTC. Cache names are ``cachedContents/{id}`` or the
bare id; anything else is refused before a request is sent.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._afc import declared_tools
from .._coerce import http_options_only, model_path
from .._contents import load_paths, to_content, to_contents
from .._normalize import to_struct
from .._pager import Pager, paged
from ..errors import ConfigurationError
from ..types import (
    CachedContent,
    CreateCachedContentConfig,
    ListCachedContentsConfig,
    ListCachedContentsResponse,
    UpdateCachedContentConfig,
)
from ..types._requests import _CreateCachedContentRequest, _UpdateCachedContentRequest

if TYPE_CHECKING:
    from .._client import Client

C = TypeVar("C", CreateCachedContentConfig, UpdateCachedContentConfig)

_NAME = re.compile(r"^(?:cachedContents/)?([A-Za-z0-9][A-Za-z0-9_-]{0,127})$")
_DURATION = re.compile(r"^\d+(?:\.\d{1,9})?s$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$")
_EXPIRY_KEYS = {"ttl": "ttl", "expire_time": "expire_time", "expireTime": "expire_time"}


class Caches:
    """Context caches; reached as ``client.caches`` (or ``client.aio.caches``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(
        self, *, model: str, config: CreateCachedContentConfig | dict[str, Any] | None = None
    ) -> CachedContent:
        """Cache contents, a system instruction and tools for reuse (``POST cachedContents``).

        ``config.ttl`` takes ``"300s"``, seconds as int/float, or a ``timedelta``;
        ``config.expire_time`` an RFC 3339 string or an aware ``datetime``. Set at most one; with
        neither the service keeps the cache for one hour. Python functions in ``config.tools`` are
        declared as ``generate_content`` declares them (the official SDK takes only ``types.Tool``).
        """
        name = model_path(model)
        cfg, ttl, expire_time = _split_expiry(config, CreateCachedContentConfig)
        where = "config.contents"
        contents = None if cfg.contents is None else to_contents(await load_paths(cfg.contents, where), where)
        system = cfg.system_instruction
        body = _CreateCachedContentRequest(
            model=name,
            contents=contents,
            system_instruction=None if system is None else to_content(system, "config.system_instruction"),
            tools=await declared_tools(cfg.tools),
            tool_config=cfg.tool_config,
            display_name=cfg.display_name,
            ttl=ttl,
            expire_time=expire_time,
        )
        return await self._client._call(
            "POST", "cachedContents", CachedContent, body=body, http_options=cfg.http_options
        )

    async def get(self, *, name: str, config: Any = None) -> CachedContent:
        """One cache's metadata (``GET cachedContents/{id}``); its contents are never returned."""
        path = cache_path(name)
        return await self._client._call("GET", path, CachedContent, http_options=http_options_only(config, "config"))

    def list(self, *, config: ListCachedContentsConfig | dict[str, Any] | None = None) -> Pager[CachedContent]:
        """Every cache of the project, fetched page by page (``GET cachedContents``).

        Not a coroutine: iterate it with ``async for``, or ``await`` it for the first page.
        """
        return paged(
            self._client,
            "cachedContents",
            ListCachedContentsResponse,
            lambda page: page.cached_contents,
            config=config,
            config_type=ListCachedContentsConfig,
            name="caches.list",
        )

    async def update(
        self, *, name: str, config: UpdateCachedContentConfig | dict[str, Any] | None = None
    ) -> CachedContent:
        """Move a cache's expiry (``PATCH cachedContents/{id}``); set ``ttl`` or ``expire_time``."""
        path = cache_path(name)
        cfg, ttl, expire_time = _split_expiry(config, UpdateCachedContentConfig)
        if ttl is None and expire_time is None:
            raise ConfigurationError(
                f"caches.update({path!r}): set config.ttl (e.g. '600s') or config.expire_time; "
                "the expiry is the only thing a cache update can change"
            )
        body = _UpdateCachedContentRequest(ttl=ttl, expire_time=expire_time)
        return await self._client._call("PATCH", path, CachedContent, body=body, http_options=cfg.http_options)

    async def delete(self, *, name: str, config: Any = None) -> None:
        """Delete a cache now instead of waiting for it to expire (``DELETE cachedContents/{id}``)."""
        path = cache_path(name)
        await self._client._call("DELETE", path, dict, http_options=http_options_only(config, "config"))


def cache_path(name: object) -> str:
    """``"abc"`` or ``"cachedContents/abc"`` -> ``"cachedContents/abc"``; anything else is refused."""
    match = _NAME.match(name.strip()) if isinstance(name, str) else None
    if match is None:
        raise ConfigurationError(
            f"name={name!r} is not a cache name; pass the name a cache was created with, "
            "such as 'cachedContents/q8r2v5w1k7zt' (or just its id)"
        )
    return f"cachedContents/{match.group(1)}"


def _split_expiry(config: Any, cls: type[C]) -> tuple[C, str | None, str | None]:
    """The checked config without its expiry, plus ``ttl`` and ``expire_time`` as wire strings."""
    if config is None:
        return cls(), None, None
    if isinstance(config, cls):
        config = {f: getattr(config, f) for f in config.__struct_fields__}
    if not isinstance(config, Mapping):
        raise ConfigurationError(f"config must be a types.{cls.__name__} or a dict, got {type(config).__name__}")
    expiry = {_EXPIRY_KEYS[k]: v for k, v in config.items() if k in _EXPIRY_KEYS and v is not None}
    cfg = to_struct({k: v for k, v in config.items() if k not in _EXPIRY_KEYS}, cls)
    ttl, expire_time = expiry.get("ttl"), expiry.get("expire_time")
    if ttl is not None and expire_time is not None:
        raise ConfigurationError("config: set either ttl or expire_time, not both")
    return (
        cfg,
        None if ttl is None else duration(ttl, "config.ttl"),
        None if expire_time is None else timestamp(expire_time, "config.expire_time"),
    )


def duration(value: object, path: str) -> str:
    """A positive duration as the wire's Duration text: 300 / 300.0 / timedelta(minutes=5) -> ``"300s"``."""
    if isinstance(value, str):
        text = value.strip()
        if _DURATION.match(text) and float(text[:-1]) > 0:
            return text
    elif isinstance(value, _dt.timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        if micros > 0:
            whole, frac = divmod(micros, 1_000_000)
            return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") + "s"
    elif isinstance(value, int) and not isinstance(value, bool):
        if value > 0:
            return f"{value}s"
    elif isinstance(value, float) and math.isfinite(value) and value > 0:
        return f"{value:.9f}".rstrip("0").rstrip(".") + "s"
    raise ConfigurationError(
        f"{path}={value!r} is not a positive duration; pass seconds (300), a datetime.timedelta, "
        "or a string such as '300s'"
    )


def timestamp(value: object, path: str) -> str:
    """An RFC 3339 timestamp as text; an aware datetime becomes UTC with a ``Z`` suffix."""
    if isinstance(value, _dt.datetime):
        if value.utcoffset() is None:
            raise ConfigurationError(
                f"{path}={value!r} has no time zone; use an aware datetime such as "
                "datetime.now(timezone.utc) + timedelta(hours=1)"
            )
        utc = value.astimezone(_dt.timezone.utc)
        frac = f".{utc.microsecond:06d}" if utc.microsecond else ""
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
    if isinstance(value, str) and _TIMESTAMP.match(value.strip()):
        return value.strip()
    raise ConfigurationError(
        f"{path}={value!r} is not a timestamp; pass an aware datetime or an RFC 3339 string "
        "such as '2026-08-21T09:25:10Z'"
    )
