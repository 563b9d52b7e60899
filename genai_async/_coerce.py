"""Requests from user input, and typed output back: model names, the generate config and request,
response schemas and ``response.parsed``. Pure, and checked before any request is sent.

:func:`generate_request` maps the flat ``GenerateContentConfig`` onto the wire request with one field
table: request-level fields go to the top, client-only fields are dropped, and every other field
goes into ``generationConfig`` under the same name. Dict/Struct normalisation lives in ``_normalize``,
contents coercion in ``_contents``.
"""

from __future__ import annotations

import enum
import functools
import re
import typing
from collections.abc import Mapping
from typing import Any

import msgspec

from ._contents import to_content, to_contents
from ._normalize import to_struct
from .errors import ConfigurationError, ParseError
from .types import (
    GenerateContentConfig,
    GenerateContentRequest,
    GenerationConfig,
    PrebuiltVoiceConfig,
    SafetySetting,
    SpeechConfig,
    ThinkingConfig,
    Tool,
    VoiceConfig,
)

REQUEST_FIELDS = frozenset(
    {
        "system_instruction",
        "tools",
        "tool_config",
        "safety_settings",
        "cached_content",
        "labels",
        "service_tier",
        "store",
        "continuation_token",
    }
)
"""GenerateContentConfig fields that sit at the top of the request, not in generationConfig."""
CLIENT_FIELDS = frozenset({"http_options", "automatic_function_calling", "auto_continue", "automatic_continuation"})
"""GenerateContentConfig fields that never go on the wire."""

_MODEL = re.compile(r"^(?:(models|tunedModels|dynamic)/)?([A-Za-z0-9][A-Za-z0-9._\-]{0,127})$")


def model_path(model: object) -> str:
    """``"gemini-3.5-flash"`` or ``"models/gemini-3.5-flash"`` -> ``"models/gemini-3.5-flash"``."""
    if type(model) is str:
        return _model_path(model)  # the same few names, again and again: cached
    return _model_path_uncached(model)


@functools.lru_cache(maxsize=256)
def _model_path(model: str) -> str:
    return _model_path_uncached(model)


def _model_path_uncached(model: object) -> str:
    if not isinstance(model, str) or not _MODEL.match(model.strip()):
        raise ConfigurationError(
            f"model={model!r} is not a model name; pass an id such as 'gemini-3.5-flash' "
            "or a resource name such as 'models/gemini-3.5-flash'"
        )
    model = model.strip()
    return model if "/" in model else f"models/{model}"


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


def wire_thinking(thinking: ThinkingConfig | None) -> ThinkingConfig | None:
    """``thinking_level`` in the wire's upper case ("low" -> "LOW"), as a copy.

    ``to_struct`` upper-cases it in dicts; a ``types.ThinkingConfig`` built by hand comes here as written.
    """
    if thinking is not None and isinstance(thinking.thinking_level, str):
        return msgspec.structs.replace(thinking, thinking_level=thinking.thinking_level.upper())
    return thinking


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
    if "thinking_config" in gen:
        gen["thinking_config"] = wire_thinking(gen["thinking_config"])
    if isinstance(gen.get("speech_config"), str):  # the official SDK's shorthand for a prebuilt voice
        gen["speech_config"] = SpeechConfig(
            voice_config=VoiceConfig(prebuilt_voice_config=PrebuiltVoiceConfig(voice_name=gen["speech_config"]))
        )
    if config.safety_settings:
        _refuse_vertex_only(config.safety_settings)
    system = config.system_instruction
    return GenerateContentRequest(
        contents=turns,
        system_instruction=None if system is None else to_content(system, "config.system_instruction"),
        tools=_wire_tools(config.tools),
        tool_config=config.tool_config,
        safety_settings=config.safety_settings,
        cached_content=cache_name(config.cached_content),
        labels=config.labels,
        service_tier=config.service_tier,
        store=config.store,
        continuation_token=config.continuation_token,
        generation_config=GenerationConfig(**gen) if gen else None,
    )


def cache_name(name: str | None) -> str | None:
    """``"abc123"`` -> ``"cachedContents/abc123"`` (the documented resource name); full names stay."""
    if name is None or "/" in name:
        return name
    return f"cachedContents/{name}"


def _refuse_vertex_only(settings: list[SafetySetting]) -> None:
    for i, setting in enumerate(settings):
        if setting.method is not None:
            raise ConfigurationError(
                f"config.safety_settings[{i}].method is only supported by Vertex AI; the Gemini API refuses "
                "it (as the official SDK does): remove `method`"
            )


def _wire_tools(tools: list[Any] | None) -> list[Tool] | None:
    """``config.tools`` as sent; Python functions and MCP sessions were replaced before (``_afc.prepare``)."""
    if tools is not None:
        for i, tool in enumerate(tools):
            if type(tool) is not Tool:
                raise ConfigurationError(
                    f"config.tools[{i}] is a {type(tool).__name__}; pass a types.Tool or a dict (Python functions "
                    "and MCP sessions are accepted by generate_content, generate_content_stream and chats)"
                )
    return tools


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
    if _holds_pydantic(schema):  # list[Model], Model | None...: pydantic writes the schema
        return {"response_json_schema": _pydantic_adapter(schema).json_schema()}
    try:
        return {"response_json_schema": msgspec.json.schema(schema)}
    except TypeError as exc:
        raise ConfigurationError(
            f"config.response_schema {schema!r} is not a schema: pass a types.Schema, a dict, or a type "
            f"such as a msgspec Struct, dataclass, TypedDict or list[...] ({exc})"
        ) from exc


def parse_output(text: str | None, config: GenerateContentConfig | None) -> tuple[Any, ParseError | None]:
    """``(response.parsed, response.parse_error)``: JSON output decoded, then converted to
    ``response_schema`` when it is a type; enum output (``text/x.enum``) as a member.

    Never raises, like the official SDK (which leaves ``parsed=None``): output that does not parse
    is still an answer that was generated and billed, so the response keeps its text and usage and
    the reason goes on ``parse_error`` (kind ``no_output``, ``invalid_json`` or ``schema_mismatch``).
    """
    if config is None:
        return None, None
    mime = (config.response_mime_type or "").lower()
    schema = config.response_schema
    is_enum = mime == "text/x.enum" and isinstance(schema, type) and issubclass(schema, enum.Enum)
    if not is_enum and mime != "application/json":
        return None, None
    if text is None:
        return None, ParseError(
            f"no {mime} output to parse: the answer has no text (see finish_reason)", kind="no_output", text=None
        )
    if is_enum:
        return _convert(text, schema, lambda: schema(text.strip()))
    try:
        data = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError) as exc:  # (RecursionError: nested too deeply)
        error = ParseError(f"the output is not JSON ({exc}); it starts {text[:80]!r}", kind="invalid_json", text=text)
        error.__cause__ = exc
        return None, error
    if schema is None or isinstance(schema, (Mapping, msgspec.Struct)):
        return data, None
    if hasattr(schema, "model_validate"):
        return _convert(text, schema, lambda: schema.model_validate(data))
    if _holds_pydantic(schema):
        return _convert(text, schema, lambda: _pydantic_adapter(schema).validate_python(data))
    return _convert(text, schema, lambda: msgspec.convert(data, schema, strict=False))


def _holds_pydantic(schema: Any) -> bool:
    """True for a generic type (``list[Model]``, ``Model | None``) with a pydantic model inside."""
    return any(hasattr(arg, "model_validate") or _holds_pydantic(arg) for arg in typing.get_args(schema))


@functools.lru_cache(maxsize=64)
def _pydantic_adapter(schema: Any) -> Any:
    import pydantic  # the user's own schema holds pydantic models, so it is installed

    return pydantic.TypeAdapter(schema)


def _convert(text: str, schema: Any, convert: Any) -> tuple[Any, ParseError | None]:
    try:
        return convert(), None
    except Exception as exc:  # a user's validator may raise anything: the answer must survive it
        name = getattr(schema, "__name__", None) or repr(schema)
        error = ParseError(
            f"the output does not fit config.response_schema {name}: {exc}", kind="schema_mismatch", text=text
        )
        error.__cause__ = exc
        return None, error


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
