"""The official SDK's pydantic serialisation methods on our msgspec types: ``model_dump``,
``model_dump_json``, ``to_json_dict`` and ``model_validate``, so code that caches, logs or returns
responses as JSON runs unchanged.

What they give, as pydantic does for the official SDK's models:
- Keys are the snake_case field names (``by_alias=True``: the camelCase wire names).
- ``model_dump()`` keeps every field, ``None`` included; ``exclude_none=True`` drops the unset ones
  (``to_json_dict()`` is ``model_dump(mode="json", exclude_none=True)``, as in the official SDK).
- ``mode="python"`` keeps bytes and enum members; ``mode="json"`` gives only JSON types: enum
  values, and bytes as URL-safe base64 with padding (the official SDK's ``ser_json_bytes``).
- ``GenerateContentResponse.parsed`` (client-side, outside the fields) is included like the SDK's
  field: as it is in Python mode, as JSON types (a pydantic model's own ``model_dump``, else
  msgspec's builtins) in JSON mode.
- ``model_validate`` takes a dict with snake_case or camelCase keys (either base64 alphabet for
  bytes) or an instance; an unknown key is a ConfigurationError naming the closest field, as the
  official SDK's models forbid extra keys.
"""

from __future__ import annotations

import base64
import enum
import typing
from collections.abc import Mapping
from typing import Any

import msgspec

from ..errors import ConfigurationError

_CLIENT_SIDE = ("parsed",)
"""Attributes outside the Struct fields that dumps include and validation accepts."""


def dump(obj: Any, *, mode: str = "python", exclude_none: bool = False, by_alias: bool = False) -> Any:
    """``obj`` (a Struct, or lists/dicts of them) as plain Python data (see the module docstring)."""
    if mode not in ("python", "json"):
        raise ConfigurationError(f"mode must be 'python' or 'json', got {mode!r}")
    return _dump(obj, mode == "json", exclude_none, by_alias)


def _dump(obj: Any, json_mode: bool, exclude_none: bool, by_alias: bool) -> Any:
    if isinstance(obj, msgspec.Struct):
        out: dict[str, Any] = {}
        names = obj.__struct_encode_fields__ if by_alias else obj.__struct_fields__
        for name, key in zip(obj.__struct_fields__, names, strict=True):
            value = getattr(obj, name)
            if value is None and exclude_none:
                continue
            out[key] = _dump(value, json_mode, exclude_none, by_alias)
        for name in _CLIENT_SIDE:
            if hasattr(type(obj), name):
                value = getattr(obj, name)
                if value is not None or not exclude_none:
                    out[name] = _foreign(value, json_mode, exclude_none)
        return out
    if isinstance(obj, enum.Enum):
        return obj.value if json_mode else obj
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.urlsafe_b64encode(bytes(obj)).decode("ascii") if json_mode else bytes(obj)
    if isinstance(obj, (list, tuple)):
        return [_dump(v, json_mode, exclude_none, by_alias) for v in obj]
    if isinstance(obj, Mapping):
        return {k: _dump(v, json_mode, exclude_none, by_alias) for k, v in obj.items()}
    return obj


def _foreign(value: Any, json_mode: bool, exclude_none: bool) -> Any:
    """A value we did not define (``parsed``: the user's pydantic model, Struct, dataclass...)."""
    if not json_mode or value is None:
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=exclude_none)
    return msgspec.to_builtins(value, enc_hook=str)


def validate(cls: type[Any], obj: Any) -> Any:
    """An instance of ``cls`` from a dict (either key spelling) or an instance."""
    if isinstance(obj, cls):
        return obj
    if not isinstance(obj, Mapping):
        what = type(obj).__name__
        raise ConfigurationError(f"{cls.__name__}.model_validate takes a dict or a {cls.__name__}, got {what}")
    extra = {name: obj[name] for name in _CLIENT_SIDE if name in obj and hasattr(cls, name)}
    wire = _wire_keys({k: v for k, v in obj.items() if k not in extra}, cls, cls.__name__)
    try:
        result = msgspec.convert(wire, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"{cls.__name__}.model_validate: {exc}") from exc
    for name, value in extra.items():
        setattr(result, name, value)
    return result


def _wire_keys(value: Any, tp: Any, path: str) -> Any:
    """``value`` with every Struct's keys in their wire spelling and bytes in standard base64, as
    ``msgspec.convert`` needs (it would drop a snake_case key silently)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        for option in typing.get_args(tp):
            if option is not type(None):
                converted = _wire_keys(value, option, path)
                if converted is not value:
                    return converted
        return value
    if origin is list and isinstance(value, (list, tuple)):
        (item,) = typing.get_args(tp) or (Any,)
        return [_wire_keys(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict and isinstance(value, Mapping):
        args = typing.get_args(tp)
        return {k: _wire_keys(v, args[1] if args else Any, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(value, Mapping):
        from .._normalize import _field_map, unknown_key

        lookup, names = _field_map(tp)
        out: dict[str, Any] = {}
        for key, v in value.items():
            f = lookup.get(key)
            if f is None:
                raise unknown_key(key, path, names, tp.__name__)
            out[f.encode_name] = _wire_keys(v, f.type, f"{path}.{f.name}")
        return out
    if tp is bytes and isinstance(value, str):  # either alphabet, padded or not: msgspec wants standard
        return value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    return value
