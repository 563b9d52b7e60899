"""Explicit context caches: ``cachedContents`` CRUD and their use by generateContent (gemini-rest.md §10).

A cache keeps its contents, system instruction and tools, never echoes them, and reports their
token count in ``usageMetadata.totalTokenCount``. Only the expiry is mutable. Expired caches vanish
on the next access. A generate request naming a cache gets the cache's contents as a prefix and
must not carry its own system instruction, tools or tool config (the service's 400).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _tokens
from ._catalogue import find_model, min_cache_tokens, resource_name
from ._send import Reply, unary
from ._validate import check_content, check_content_list
from ._wire import ApiError, now, paginate, parse_duration, parse_timestamp, timestamp

DEFAULT_TTL_SECONDS = 3600.0
_OWN_FIELDS = ("systemInstruction", "tools", "toolConfig")


@dataclass
class _Cache:
    resource: dict[str, Any]
    expires: _dt.datetime
    payload: dict[str, Any]
    tally: dict[str, int]


def _not_found() -> ApiError:
    return ApiError(403, "CachedContent not found (or permission denied)")


def _expiry(body: dict[str, Any], start: _dt.datetime, default: float | None) -> _dt.datetime:
    if "ttl" in body and "expireTime" in body:
        raise ApiError(400, "Only one of ttl and expire_time can be set.")
    if "expireTime" in body:
        return parse_timestamp(str(body["expireTime"]))
    if "ttl" in body:
        return start + _dt.timedelta(seconds=parse_duration(body["ttl"]))
    if default is None:
        raise ApiError(400, "One of ttl or expire_time must be set to update a CachedContent.")
    return start + _dt.timedelta(seconds=default)


class Caches:
    """In-memory ``cachedContents`` store."""

    def __init__(self, new_id: Callable[[], str], models: list[dict[str, Any]]) -> None:
        self._new_id = new_id
        self._models = models
        self._caches: dict[str, _Cache] = {}
        self.strict = True
        """Refuse caches under the model's minimum size, as the service does."""

    def reset(self) -> None:
        self._caches.clear()

    def _live(self, cache_id: str) -> _Cache:
        name = cache_id if cache_id.startswith("cachedContents/") else f"cachedContents/{cache_id}"
        cache = self._caches.get(name)
        if cache is not None and cache.expires <= now():
            del self._caches[name]
            cache = None
        if cache is None:
            raise _not_found()
        return cache

    def create(self, body: dict[str, Any]) -> Reply:
        model = body.get("model")
        if not model:
            raise ApiError(400, "* CachedContent.model: model is not specified\n")
        if find_model(self._models, str(model)) is None:
            raise ApiError(404, f"{resource_name(str(model))} is not found for createCachedContent.")
        check_content_list(body.get("contents"))
        if "systemInstruction" in body:
            check_content(body["systemInstruction"], "system_instruction")
        created = now()
        expires = _expiry(body, created, DEFAULT_TTL_SECONDS)
        payload = {k: body[k] for k in ("contents", *_OWN_FIELDS) if body.get(k)}
        tally = _tokens.count_request(payload)
        minimum = min_cache_tokens(str(model))
        if self.strict and sum(tally.values()) < minimum:
            raise ApiError(
                400,
                f"Cached content is too small. total_token_count={sum(tally.values())}, "
                f"min_total_token_count={minimum}",
            )
        name = f"cachedContents/{self._new_id()}"
        resource: dict[str, Any] = {
            "name": name,
            "model": resource_name(str(model)),
            "createTime": timestamp(created),
            "updateTime": timestamp(created),
            "expireTime": timestamp(expires),
        }
        if body.get("displayName"):
            resource["displayName"] = body["displayName"]
        resource["usageMetadata"] = {"totalTokenCount": sum(tally.values())}
        self._caches[name] = _Cache(resource, expires, payload, tally)
        return unary(dict(resource))

    def get(self, cache_id: str) -> Reply:
        return unary(dict(self._live(cache_id).resource))

    def list(self, query: dict[str, str]) -> Reply:
        for name in list(self._caches):
            try:
                self._live(name)
            except ApiError:
                pass
        views = [dict(c.resource) for c in self._caches.values()]
        return unary(paginate(views, query, "cachedContents", default=100, maximum=1000))

    def patch(self, cache_id: str, body: dict[str, Any]) -> Reply:
        cache = self._live(cache_id)
        extra = sorted(set(body) - {"ttl", "expireTime"})
        if extra:
            raise ApiError(400, f"Only ttl and expire_time can be updated; got {', '.join(extra)}.")
        updated = now()
        cache.expires = _expiry(body, updated, None)
        cache.resource["expireTime"] = timestamp(cache.expires)
        cache.resource["updateTime"] = timestamp(updated)
        return unary(dict(cache.resource))

    def delete(self, cache_id: str) -> Reply:
        cache = self._live(cache_id)
        del self._caches[cache.resource["name"]]
        return unary({})

    def apply(self, request: dict[str, Any], model_name: str) -> tuple[dict[str, Any], dict[str, int]]:
        """The request with the cache's prefix merged in, and the cached token tally."""
        cache = self._live(str(request["cachedContent"]))
        if any(request.get(k) for k in _OWN_FIELDS):
            raise ApiError(
                400,
                "CachedContent can not be used with GenerateContent request setting system_instruction, "
                "tools or tool_config.\n\nProposed fix: move those values to CachedContent from "
                "GenerateContent request.",
            )
        if cache.resource["model"] != model_name:
            raise ApiError(
                400,
                f"Model used by GenerateContent request ({model_name}) and CachedContent "
                f"({cache.resource['model']}) has to be the same!",
            )
        merged = dict(request)
        merged.update({k: v for k, v in cache.payload.items() if k != "contents"})
        merged["contents"] = list(cache.payload.get("contents") or []) + list(request.get("contents") or [])
        return merged, dict(cache.tally)
