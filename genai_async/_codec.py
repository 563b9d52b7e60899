"""msgspec encoders and decoders, each built once and reused (msgspec's first performance tip)."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()

encode = _encoder.encode


def decode_json(data: bytes | str) -> Any:
    """Decode JSON into plain Python objects; raises ``ValueError`` (msgspec.DecodeError) if invalid,
    also when it is nested too deeply to decode (msgspec's RecursionError, see :func:`too_deep`)."""
    try:
        return _any_decoder.decode(data)
    except RecursionError:
        raise too_deep() from None


class TooDeep(msgspec.DecodeError):
    """JSON nested deeper than the interpreter's recursion limit (about 1,000 levels; a 4 KB body
    can hold 2,000), where msgspec raises a bare RecursionError."""


def too_deep() -> TooDeep:
    return TooDeep("JSON is nested too deeply to decode (over the recursion limit)")


_decoders: dict[Any, Any] = {}


def decoder(type_: type[T]) -> msgspec.json.Decoder[T]:
    """The shared typed decoder for ``type_`` (built on first use, then reused)."""
    dec: msgspec.json.Decoder[T] | None = _decoders.get(type_)
    if dec is None:
        dec = _decoders[type_] = msgspec.json.Decoder(type_)
    return dec


def decode(data: bytes | str, type_: type[T]) -> T:
    """Decode ``data`` straight into ``type_`` (a msgspec Struct) with the shared decoder; raises
    msgspec.DecodeError / ValidationError (also for JSON nested too deeply)."""
    try:
        return decoder(type_).decode(data)
    except RecursionError:
        raise too_deep() from None
