"""A request body, parsed at most once: strict JSON first, then the lenient fallback (see _wire.decode_json)."""

from __future__ import annotations

from typing import Any

from ._wire import ApiError, decode_json

_NO_DEFAULT: Any = object()


class Body:
    """A request body, parsed at most once (strict JSON, then the lenient fallback)."""

    def __init__(self, raw: bytes, headers: dict[str, str]) -> None:
        self.raw = raw
        self._value: Any = None
        self._error: ApiError | None = None
        self._parsed = False
        self._is_json = bool(raw.strip()) and "json" in headers.get("content-type", "json")

    def json(self, empty: Any = _NO_DEFAULT) -> Any:
        """The parsed body; an empty body is ``empty`` when given, else the service's 400."""
        if not self.raw.strip() and empty is not _NO_DEFAULT:
            return empty
        if not self._parsed:
            self._parsed = True
            try:
                self._value = decode_json(self.raw)
            except ApiError as err:
                self._error = err
        if self._error is not None:
            raise self._error
        return self._value

    def logged(self) -> Any:
        """What ``RecordedRequest.json`` shows: the parsed JSON body, or None."""
        if not self._is_json:
            return None
        try:
            return self.json()
        except ApiError:
            return None
