"""Turn what users pass (str, dicts with either key spelling, Parts, Structs...) into wire structs.

Three jobs, all pure and checked before any request is sent:
- :func:`to_struct` normalises a dict (snake_case *or* camelCase keys) or a Struct into a typed
  Struct, recursively, driven by the Struct's own fields. msgspec.convert would silently drop
  snake_case keys on a camel-renamed Struct; here an unknown key is a ConfigurationError that
  names the path and suggests the closest field.
- :func:`to_contents` follows the official SDK's rules for ``contents``.
- :func:`generate_request` maps the flat ``GenerateContentConfig`` onto the wire request with one
  field table: request-level fields go to the top, client-only fields are dropped, and every other
  field goes into ``generationConfig`` under the same name.
"""

from __future__ import annotations

import difflib
import enum
import functools
import os
import pathlib
import re
import types as _pytypes
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

import msgspec

from .errors import ConfigurationError
from .types import (
    Content,
    File,
    GenerateContentConfig,
    GenerateContentRequest,
    GenerationConfig,
    Part,
)

S = TypeVar("S", bound=msgspec.Struct)

REQUEST_FIELDS = frozenset(
    {"system_instruction", "tools", "tool_config", "safety_settings", "cached_content", "labels",
     "service_tier", "store", "continuation_token"}
)
"""GenerateContentConfig fields that sit at the top of the request, not in generationConfig."""
CLIENT_FIELDS = frozenset({"http_options", "automatic_function_calling", "auto_continue"})
"""GenerateContentConfig fields that never go on the wire."""

_MODEL = re.compile(r"^(?:(models|tunedModels|dynamic)/)?([A-Za-z0-9][A-Za-z0-9._\-]{0,127})$")


def model_path(model: object) -> str:
    """``"gemini-3.5-flash"`` or ``"models/gemini-3.5-flash"`` -> ``"models/gemini-3.5-flash"``."""
    if not isinstance(model, str) or not _MODEL.match(model.strip()):
        raise ConfigurationError(
            f"model={model!r} is not a model name; pass an id such as 'gemini-3.5-flash' "
            "or a resource name such as 'models/gemini-3.5-flash'"
        )
    model = model.strip()
    return model if "/" in model else f"models/{model}"


# ---------------------------------------------------------------------------- structs from dicts


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


@functools.cache
def _field_map(cls: type[msgspec.Struct]) -> tuple[dict[str, msgspec.structs.FieldInfo], tuple[str, ...]]:
    fields = msgspec.structs.fields(cls)
    lookup: dict[str, msgspec.structs.FieldInfo] = {}
    for f in fields:
        lookup[f.name] = f
        lookup[f.encode_name] = f
        lookup[_camel(f.name)] = f
    return lookup, tuple(f.name for f in fields)


def _unknown(cls: type, key: object, path: str, names: tuple[str, ...]) -> ConfigurationError:
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(names)}"
    return ConfigurationError(f"{path}: unknown key {key!r} for {cls.__name__}{hint}")


def to_struct(value: Any, cls: type[S], path: str = "config") -> S:
    """Normalise a dict (either key spelling) or an instance of ``cls`` into a checked ``cls``."""
    return typing.cast(S, _norm(value, cls, path))


def _norm(value: Any, tp: Any, path: str) -> Any:
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is Union or origin is _pytypes.UnionType:
        return _norm_union(value, typing.get_args(tp), path)
    if origin is list:
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
        if isinstance(option, type) and isinstance(value, option) and not issubclass(option, msgspec.Struct):
            return value
    for option in options:
        if isinstance(option, type) and issubclass(option, msgspec.Struct):
            if isinstance(value, (Mapping, option)):
                return _norm(value, option, path)
        elif typing.get_origin(option) is list and isinstance(value, (list, tuple)):
            return _norm(value, option, path)
    return _norm(value, options[0], path)


def _norm_type(value: Any, tp: type, path: str) -> Any:
    if issubclass(tp, msgspec.Struct):
        lookup, names = _field_map(tp)
        if isinstance(value, tp):
            items: Any = ((f, getattr(value, f)) for f in names)
        elif isinstance(value, Mapping):
            items = value.items()
        else:
            raise ConfigurationError(
                f"{path} must be a types.{tp.__name__} or a dict, got {type(value).__name__}"
            )
        kwargs = {}
        for key, v in items:
            f = lookup.get(key)
            if f is None:
                raise _unknown(tp, key, path, names)
            if v is not None:
                kwargs[f.name] = _norm(v, f.type, f"{path}.{f.name}")
        return tp(**kwargs)
    if issubclass(tp, enum.Enum):
        if isinstance(value, enum.Enum):
            return value.value if isinstance(value.value, str) else value
        if isinstance(value, str):
            return value.upper()
        raise ConfigurationError(f"{path} must be a string such as {next(iter(tp)).value!r}, got {value!r}")
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bytes and isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ConfigurationError(f"{path} must be {tp.__name__}, got {type(value).__name__} {value!r:.60}")
    return value


# ---------------------------------------------------------------------------------- contents


def to_part(value: Any, path: str = "contents") -> Part:
    """One part from a str, Part, dict, uploaded File, bytes (sniffed), PIL image..."""
    if isinstance(value, str):
        return Part(text=value)
    if isinstance(value, Part):
        return value
    if isinstance(value, Mapping):
        return to_struct(value, Part, path)
    if isinstance(value, File):
        if not value.uri:
            raise ConfigurationError(f"{path}: this File has no uri; pass the File returned by files.upload/get")
        return Part.from_uri(file_uri=value.uri, mime_type=value.mime_type)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        mime = sniff_mime(data)
        if mime is None:
            raise ConfigurationError(
                f"{path}: cannot tell the MIME type of these {len(data)} bytes; "
                "use types.Part.from_bytes(data=..., mime_type=...)"
            )
        return Part.from_bytes(data=data, mime_type=mime)
    if type(value).__module__.startswith("PIL."):
        return _pil_part(value)
    if isinstance(value, pathlib.PurePath):
        raise ConfigurationError(
            f"{path} is a Path inside a Content; put the Path itself in the contents list "
            "(it is then read and sent inline) or use types.Part.from_bytes"
        )
    raise ConfigurationError(
        f"{path} is a {type(value).__name__}, which cannot be sent; use a str, types.Part, "
        "types.Content, a dict, bytes (or types.Part.from_bytes), or a File from files.upload"
    )


def _pil_part(image: Any) -> Part:
    import io

    fmt = "JPEG" if str(getattr(image, "format", "") or "").upper() in ("JPEG", "JPG") else "PNG"
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return Part.from_bytes(data=buf.getvalue(), mime_type=f"image/{fmt.lower()}")


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
)


def sniff_mime(data: bytes) -> str | None:
    """The MIME type of common image/audio/PDF bytes from their first bytes, or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _is_content(value: Any) -> bool:
    return isinstance(value, Content) or (
        isinstance(value, Mapping) and ("parts" in value or "role" in value)
    )


def to_contents(contents: Any, path: str = "contents") -> list[Content]:
    """The official SDK's rules: a Content stays one turn; consecutive parts/strings form a user turn
    (a model turn when they are all function calls)."""
    if contents is None or contents == "" or contents == []:
        raise ConfigurationError(f"{path} is empty; pass a prompt string, parts or Content turns")
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    out: list[Content] = []
    group: list[Part] = []

    def flush() -> None:
        if group:
            calls = all(p.function_call is not None for p in group)
            out.append(Content(role="model" if calls else "user", parts=list(group)))
            group.clear()

    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(contents, (list, tuple)) else path
        if _is_content(item):
            flush()
            content = to_struct(item, Content, where)
            if not content.parts:
                raise ConfigurationError(f"{where} has no parts; every turn needs at least one part")
            out.append(content)
        elif isinstance(item, (list, tuple)):
            raise ConfigurationError(f"{where} is a nested list; pass a flat list of parts or Content turns")
        else:
            group.append(to_part(item, where))
    flush()
    return out


def to_content(value: Any, path: str) -> Content:
    """A single Content (used for system instructions): str, Part, list of parts, Content or dict."""
    if _is_content(value):
        return to_struct(value, Content, path)
    items = value if isinstance(value, (list, tuple)) else [value]
    return Content(parts=[to_part(v, f"{path}[{i}]") for i, v in enumerate(items)])


# ---------------------------------------------------------------------------------- requests


def generate_config(config: Any) -> GenerateContentConfig | None:
    """The user's config (None, Struct or dict in either key spelling) as a checked Struct."""
    if config is None:
        return None
    return to_struct(config, GenerateContentConfig, "config")


@functools.cache
def _generation_fields() -> tuple[str, ...]:
    names = msgspec.structs.fields(GenerateContentConfig)
    return tuple(f.name for f in names if f.name not in REQUEST_FIELDS | CLIENT_FIELDS)


def generate_request(contents: Any, config: GenerateContentConfig | None) -> GenerateContentRequest:
    """Build the wire request from ``contents`` and the flat config (docs §3)."""
    turns = to_contents(contents)
    if config is None:
        return GenerateContentRequest(contents=turns)
    gen: dict[str, Any] = {}
    for name in _generation_fields():
        value = getattr(config, name)
        if value is not None:
            gen[name] = value
    if "response_schema" in gen:
        gen.update(schema_fields(gen.pop("response_schema")))
    thinking = gen.get("thinking_config")
    if thinking is not None and isinstance(thinking.thinking_level, str):
        gen["thinking_config"] = msgspec.structs.replace(thinking, thinking_level=thinking.thinking_level.upper())
    system = config.system_instruction
    return GenerateContentRequest(
        contents=turns,
        system_instruction=None if system is None else to_content(system, "config.system_instruction"),
        tools=config.tools,
        tool_config=config.tool_config,
        safety_settings=config.safety_settings,
        cached_content=config.cached_content,
        labels=config.labels,
        service_tier=config.service_tier,
        store=config.store,
        continuation_token=config.continuation_token,
        generation_config=GenerationConfig(**gen) if gen else None,
    )


def schema_fields(schema: Any) -> dict[str, Any]:
    """``response_schema`` as wire fields: a Schema/dict stays ``responseSchema``; a Python type
    (msgspec Struct, dataclass, TypedDict, Enum, list[...], pydantic model) becomes its JSON Schema
    in ``responseJsonSchema``."""
    if isinstance(schema, Mapping):
        kind = schema.get("type")
        if isinstance(kind, str) and kind.isupper():
            return {"response_schema": dict(schema)}
        return {"response_json_schema": dict(schema)}
    if isinstance(schema, msgspec.Struct):
        return {"response_schema": schema}
    if hasattr(schema, "model_json_schema"):
        return {"response_json_schema": schema.model_json_schema()}
    try:
        return {"response_json_schema": msgspec.json.schema(schema)}
    except TypeError as exc:
        raise ConfigurationError(
            f"config.response_schema {schema!r} is not a schema: pass a types.Schema, a dict, or a type "
            f"such as a msgspec Struct, dataclass, TypedDict or list[...] ({exc})"
        ) from exc


def parse_output(text: str | None, config: GenerateContentConfig | None) -> Any:
    """``response.parsed``: JSON output decoded, then converted to ``response_schema`` when it is a type."""
    if text is None or config is None:
        return None
    mime = (config.response_mime_type or "").lower()
    schema = config.response_schema
    if mime == "text/x.enum" and isinstance(schema, type) and issubclass(schema, enum.Enum):
        try:
            return schema(text.strip())
        except ValueError:
            return None
    if mime != "application/json":
        return None
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    if schema is None or isinstance(schema, (Mapping, msgspec.Struct)):
        return data
    if hasattr(schema, "model_validate"):
        return schema.model_validate(data)
    try:
        return msgspec.convert(data, schema, strict=False)
    except (msgspec.ValidationError, TypeError):
        return None


INLINE_LIMIT = 20 * 1024 * 1024
"""Largest file sent inline from a Path; bigger files go through ``client.files.upload``."""


def guess_mime(path: os.PathLike[str] | str) -> str | None:
    """The MIME type of a file name (stdlib table plus the types Gemini accepts that it lacks)."""
    import mimetypes  # reads the system's tables on first use

    mime, _ = mimetypes.guess_type(str(path))
    if mime is None:
        mime = _EXTRA_MIME.get(os.path.splitext(str(path))[1].lower())
    return mime


_EXTRA_MIME = {".webp": "image/webp", ".heic": "image/heic", ".heif": "image/heif", ".md": "text/markdown",
               ".flac": "audio/flac", ".aac": "audio/aac", ".jsonl": "application/jsonl", ".py": "text/x-python"}


def _read_inline(path: pathlib.Path) -> Part:
    size = path.stat().st_size
    if size > INLINE_LIMIT:
        raise ConfigurationError(
            f"{path} is {size / 1e6:.1f} MB, over the {INLINE_LIMIT // (1024 * 1024)} MB inline limit; "
            "upload it first: file = await client.files.upload(file=path), then pass `file` in contents"
        )
    data = path.read_bytes()
    mime = guess_mime(path) or sniff_mime(data)
    if mime is None:
        raise ConfigurationError(
            f"cannot tell the MIME type of {path}; use types.Part.from_bytes(data=..., mime_type=...)"
        )
    return Part.from_bytes(data=data, mime_type=mime)


def has_paths(contents: Any) -> bool:
    """True when ``contents`` holds ``pathlib.Path`` items that :func:`load_paths` must read."""
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    return any(isinstance(item, pathlib.PurePath) for item in items)


async def load_paths(contents: Any) -> Any:
    """Replace ``pathlib.Path`` items of ``contents`` by inline parts, reading files in a worker
    thread so a large file never blocks the event loop."""
    if not has_paths(contents):
        return contents
    import anyio.to_thread

    items = contents if isinstance(contents, (list, tuple)) else [contents]
    loaded = [
        await anyio.to_thread.run_sync(_read_inline, pathlib.Path(item)) if isinstance(item, pathlib.PurePath) else item
        for item in items
    ]
    return loaded if isinstance(contents, (list, tuple)) else loaded[0]


def http_options_only(config: Any, path: str) -> Any:
    """``http_options`` from a config that may hold nothing else (the SDK's Get/Delete configs)."""
    if config is None:
        return None
    if isinstance(config, Mapping):
        extra = sorted(str(k) for k in config if k not in ("http_options", "httpOptions"))
        if extra:
            raise ConfigurationError(f"{path}: unknown key(s) {', '.join(extra)}; only 'http_options' is accepted")
        return config.get("http_options", config.get("httpOptions"))
    return getattr(config, "http_options", None)
