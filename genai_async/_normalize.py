"""Typed Structs from what users pass: a dict with snake_case *or* camelCase keys, or a Struct whose
fields hold such dicts, normalised recursively, driven by the Struct's own fields.

msgspec.convert would silently drop snake_case keys on a camel-renamed Struct; here an unknown key
is a ConfigurationError that names its path and suggests the closest field, and a value of the
wrong type names its path too. Enum-typed fields, and the str fields a Struct lists in its
``_wire_enums``, take any string, upper-cased ("any" -> "ANY"). An aware ``datetime`` given for a str
field (a timestamp such as ``Interval.start_time``) becomes RFC 3339; a naive one is refused.
"""

from __future__ import annotations

import collections.abc as _abc
import datetime
import enum
import functools
import types as _pytypes
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

import msgspec

from .errors import ConfigurationError

S = TypeVar("S", bound=msgspec.Struct)


def camel(name: str) -> str:
    """``"http_status_codes"`` -> ``"httpStatusCodes"`` (the wire's spelling of a Python name)."""
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def snake(key: str) -> str:
    """``"httpStatusCodes"`` -> ``"http_status_codes"`` (a key in either spelling, in Python's)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def option(options: Any, name: str) -> Any:
    """Field ``name`` (snake_case) of a dict in either spelling or of an object (None when absent)."""
    if isinstance(options, Mapping):
        return options.get(name, options.get(camel(name)))
    return getattr(options, name, None)


@functools.cache
def _field_map(cls: type[msgspec.Struct]) -> tuple[dict[str, msgspec.structs.FieldInfo], tuple[str, ...]]:
    fields = msgspec.structs.fields(cls)
    lookup: dict[str, msgspec.structs.FieldInfo] = {}
    for f in fields:
        lookup[f.name] = f
        lookup[f.encode_name] = f
        lookup[camel(f.name)] = f
    return lookup, tuple(f.name for f in fields)


_VERTEX_ONLY = {
    "GenerateContentConfig": {
        "routing_config",
        "model_selection_config",
        "audio_timestamp",
        "model_armor_config",
        "generation_output_config",
    },
    "GenerationConfig": {"routing_config", "model_selection_config", "audio_timestamp"},
    "FunctionCall": {"partial_args", "will_continue"},
    "FunctionCallingConfig": {"stream_function_call_arguments"},
    "GoogleSearch": {"blocking_confidence", "exclude_domains"},
    "GoogleMaps": {"grounding_types", "auth_config"},
    "ImageConfig": {
        "person_generation",
        "prominent_people",
        "output_mime_type",
        "output_compression_quality",
        "image_output_options",
    },
    "Tool": {"retrieval", "enterprise_web_search", "parallel_ai_search", "exa_ai_search"},
    "EmbedContentConfig": {"mime_type", "auto_truncate", "document_ocr", "audio_track_extraction"},
}
"""Fields the official SDK refuses for the Gemini API (its ``_to_mldev`` converters): named as such."""


def _unknown(cls: type, key: object, path: str, names: tuple[str, ...]) -> ConfigurationError:
    if snake(str(key)) in _VERTEX_ONLY.get(cls.__name__, ()):
        return ConfigurationError(
            f"{path}.{snake(str(key))} is only supported by Vertex AI; the Gemini API refuses it "
            "(as the official SDK does): remove it"
        )
    return unknown_key(key, path, names, cls.__name__)


def unknown_key(key: object, path: str, names: tuple[str, ...], what: str) -> ConfigurationError:
    """The error for an unknown key of ``what`` at ``path``: the closest valid key, else all of them."""
    import difflib  # only on this error path

    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(names)}"
    return ConfigurationError(f"{path}: unknown key {key!r} for {what}{hint}")


@functools.cache
def _enum_fields() -> dict[type, dict[str, type[enum.Enum]]]:
    """Request fields typed ``str`` (so a plain string type-checks) whose values come from an enum:
    checked before sending, so ``thinking_level="lowest"`` is a ConfigurationError, not a 400."""
    from . import types as t

    generation: dict[str, type[enum.Enum]] = {"media_resolution": t.MediaResolution, "response_modalities": t.Modality}
    return {
        t.ThinkingConfig: {"thinking_level": t.ThinkingLevel},
        t.SafetySetting: {"category": t.HarmCategory, "threshold": t.HarmBlockThreshold},
        t.GenerateContentConfig: generation,
        t.GenerationConfig: generation,
        t.FunctionCallingConfig: {"mode": t.FunctionCallingConfigMode},
        t.EmbedContentConfig: {"task_type": t.TaskType},
    }


@functools.cache
def _members(enum_cls: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(str(m.value) for m in enum_cls)  # declared members only, not values met on the wire


def _enum_value(value: Any, enum_cls: type[enum.Enum], path: str) -> Any:
    """A known member's value (any case) upper-cased; an enum member as is (the way to send a value
    newer than this library); anything else a ConfigurationError naming the valid values."""
    if isinstance(value, (list, tuple)):
        return [_enum_value(v, enum_cls, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, enum.Enum):
        return value.value
    known = _members(enum_cls)
    upper = value.strip().upper() if isinstance(value, str) else None
    if upper in known:
        return upper
    import difflib  # only on this error path

    close = difflib.get_close_matches(str(upper), known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigurationError(
        f"{path}={value!r} is not a {enum_cls.__name__}: {hint}valid values: {', '.join(known)} "
        f"(a value newer than this library goes through as types.{enum_cls.__name__}('NEW_VALUE'))"
    )


def to_struct(value: Any, cls: type[S], path: str = "config") -> S:
    """Normalise a dict (either key spelling) or an instance of ``cls`` into a checked ``cls``."""
    return typing.cast(S, _norm(value, cls, path))


def _norm(value: Any, tp: Any, path: str) -> Any:
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is Union or origin is _pytypes.UnionType:
        return _norm_union(value, typing.get_args(tp), path)
    if origin is list or origin is _abc.Sequence:  # Sequence: a covariant annotation, stored as a list
        if not isinstance(value, (list, tuple)):
            raise ConfigurationError(f"{path} must be a list, got {type(value).__name__}")
        (item,) = typing.get_args(tp) or (Any,)
        return [_norm(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{path} must be a mapping, got {type(value).__name__}")
        _, vt = typing.get_args(tp) or (Any, Any)
        return {k: _norm(v, vt, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(tp, type):
        return _norm_type(value, tp, path)
    return value


def _norm_union(value: Any, args: tuple[Any, ...], path: str) -> Any:
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:
        return _norm(value, options[0], path)
    for option in options:
        if option is Any:
            continue
        if isinstance(option, type) and isinstance(value, option) and not issubclass(option, msgspec.Struct):
            return value
    for option in options:
        if option is not Any and isinstance(option, type) and issubclass(option, msgspec.Struct):
            if isinstance(value, (Mapping, option)):
                return _norm(value, option, path)
        elif typing.get_origin(option) is list and isinstance(value, (list, tuple)):
            return _norm(value, option, path)
    if Any in options:  # e.g. config.tools items: a function or MCP session, checked where it is used
        return value
    return _norm(value, options[0], path)


def _norm_type(value: Any, tp: type, path: str) -> Any:
    if issubclass(tp, msgspec.Struct):
        lookup, names = _field_map(tp)
        if isinstance(value, tp):
            items: Any = ((f, getattr(value, f)) for f in names)
        elif isinstance(value, Mapping):
            items = value.items()
        else:
            raise ConfigurationError(f"{path} must be a types.{tp.__name__} or a dict, got {type(value).__name__}")
        kwargs = {}
        for key, v in items:
            f = lookup.get(key)
            if f is None:
                raise _unknown(tp, key, path, names)
            if v is not None:
                kwargs[f.name] = _norm(v, f.type, f"{path}.{f.name}")
        enums = _enum_fields().get(tp) or {}
        for name in dict.fromkeys((*getattr(tp, "_wire_enums", ()), *enums)):
            if name in kwargs:  # wire enums upper-cased; the ones with a known enum checked too
                enum_cls = enums.get(name)
                value = kwargs[name]
                kwargs[name] = _upper(value) if enum_cls is None else _enum_value(value, enum_cls, f"{path}.{name}")
        return tp(**kwargs)
    if issubclass(tp, enum.Enum):
        if isinstance(value, enum.Enum):
            return value.value if isinstance(value.value, str) else value
        if isinstance(value, str):
            return value.upper()
        raise ConfigurationError(f"{path} must be a string such as {next(iter(tp)).value!r}, got {value!r}")
    if tp is str and isinstance(value, datetime.datetime):
        return _rfc3339(value, path)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bytes and isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ConfigurationError(f"{path} must be {tp.__name__}, got {type(value).__name__} {value!r:.60}")
    return value


def _upper(value: Any) -> Any:
    """A wire enum value (or a list of them) in the wire's upper case."""
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, list):
        return [v.upper() if isinstance(v, str) else v for v in value]
    return value


def _rfc3339(value: datetime.datetime, path: str) -> str:
    """An aware datetime as an RFC 3339 timestamp (UTC written ``Z``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(
            f"{path} is a naive datetime {value!r}; pass a timezone-aware one "
            "(e.g. datetime.datetime(..., tzinfo=datetime.timezone.utc)) or an RFC 3339 string"
        )
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
