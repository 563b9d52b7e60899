"""msgspec encoders and decoders, each built once and reused (msgspec's first performance tip)."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()

encode = _encoder.encode


def decode_json(data: bytes | str) -> Any:
    """Decode JSON into plain Python objects; raises ``ValueError`` (msgspec.DecodeError) if invalid."""
    return _any_decoder.decode(data)


_decoders: dict[Any, Any] = {}


def decoder(type_: type[T]) -> msgspec.json.Decoder[T]:
    """The shared typed decoder for ``type_`` (built on first use, then reused)."""
    dec: msgspec.json.Decoder[T] | None = _decoders.get(type_)
    if dec is None:
        dec = _decoders[type_] = msgspec.json.Decoder(type_)
    return dec


def decode(data: bytes | str, type_: type[T]) -> T:
    """Decode ``data`` straight into ``type_`` (a msgspec Struct) with the shared decoder."""
    return decoder(type_).decode(data)
