"""Keeping the API key out of everything a raised error carries.

Two layers:
- :class:`Secret` is the key as the client holds and sends it: a ``str`` (aiohttp writes it as
  one) whose ``repr`` is ``'***'`` and whose pickle is ``'***'``. Any dict, header table or
  traceback local that holds it shows the mask, so a formatted traceback with locals, or the repr
  of a lower library's request record, never prints the key.
- :func:`scrub` runs on every error before it is raised to the caller: it replaces the key in our
  errors' message, args, details and headers (a proxy may echo the key in its error body), and in
  the chained lower-library exceptions it rebuilds aiohttp's ``request_info`` (which holds the
  request headers) without the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MASK = "***"


class Secret(str):
    """The API key: compares, hashes and is sent as the string it is; shown and pickled as ``***``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (MASK,))


def scrub_text(text: str, secret: str) -> str:
    return text.replace(secret, MASK) if secret and secret in text else text


def scrub_value(value: Any, secret: str) -> Any:
    """``value`` (decoded JSON, headers) with every occurrence of ``secret`` in its strings masked."""
    if isinstance(value, str):
        return scrub_text(value, secret)
    if isinstance(value, Mapping):
        return {scrub_value(k, secret): scrub_value(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(v, secret) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub_value(v, secret) for v in value)
    return value


_FIELDS = ("message", "details", "headers")


def scrub(exc: BaseException, secret: str | None) -> BaseException:
    """Mask ``secret`` in ``exc`` and in its whole cause/context chain, in place; returns ``exc``."""
    if not secret:
        return exc
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        _scrub_one(err, secret)
        todo += [err.__cause__, err.__context__]
    return exc


def _scrub_one(err: BaseException, secret: str) -> None:
    info = getattr(err, "request_info", None)
    if info is not None and hasattr(info, "headers"):
        clean = _clean_request_info(info, secret)
        err.request_info = clean  # type: ignore[attr-defined]
        err.args = tuple(clean if a is info else a for a in err.args)
    history = getattr(err, "history", None)
    if history:
        err.history = ()  # type: ignore[attr-defined]  # responses of followed redirects (none are followed)
        err.args = tuple(() if a is history else a for a in err.args)
    d = getattr(err, "__dict__", None)
    if d is not None:
        for name in _FIELDS:
            if name in d:
                d[name] = scrub_value(d[name], secret)
    err.args = tuple(scrub_value(a, secret) if isinstance(a, (str, Mapping, list, tuple)) else a for a in err.args)


def _clean_request_info(info: Any, secret: str) -> Any:
    from multidict import CIMultiDict, CIMultiDictProxy  # (aiohttp's dependency; only reached with aiohttp loaded)

    headers = CIMultiDictProxy(CIMultiDict((k, scrub_text(str(v), secret)) for k, v in info.headers.items()))
    try:
        return type(info)(info.url, info.method, headers, info.real_url)
    except Exception:  # another shape of request record: drop it rather than keep the key
        return None
