"""The Live API's wire rules, pure: the socket URL, client messages as bytes, server frames as
typed messages, and close codes as errors (docs/gemini-rest.md §1.1, §12). No I/O here.

Decisions:
- The flat ``LiveConnectConfig`` becomes the ``setup`` message with one field table, as
  ``_coerce.generate_request`` does for REST: sampling fields go into ``generationConfig`` (merged
  over an explicit ``generation_config``), the rest sit at the top of ``setup``.
- Frames are encoded once with msgspec (camelCase names, unset fields omitted) and server frames,
  text or binary, are decoded straight into ``LiveServerMessage``: no dict in between.
- A close code becomes an error of the REST tree (:func:`close_error`): ``1007``/``1008``/``1003``/
  ``1009`` are the client's fault (``ClientError``), ``1011``/``1013``/``1001`` the service's
  (``ServerError``), ``1006`` (no close frame: the socket dropped) a ``ConnectionError``. The
  HTTP-like ``code``/``status`` are read from the reason text when it names them ("not found",
  "quota", "API key not valid"), else follow the close code; ``close_code`` keeps the original.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from ._codec import decoder, encode
from ._contents import to_content, to_contents, to_part
from ._normalize import to_struct
from ._options import Settings
from .errors import APIError, ConfigurationError, ConnectionError, GenAIError, StreamError, error_class
from .types import (
    ActivityEnd,
    ActivityStart,
    Blob,
    FunctionResponse,
    GenerationConfig,
    LiveClientContent,
    LiveClientMessage,
    LiveClientRealtimeInput,
    LiveClientSetup,
    LiveClientToolResponse,
    LiveConnectConfig,
    LiveServerMessage,
)

METHOD = "BidiGenerateContent"
GENERATION_FIELDS = (
    "response_modalities",
    "temperature",
    "top_p",
    "top_k",
    "max_output_tokens",
    "media_resolution",
    "seed",
    "speech_config",
    "thinking_config",
    "enable_affective_dialog",
)
"""LiveConnectConfig fields that go into ``setup.generationConfig``."""
SETUP_FIELDS = (
    "tools",
    "session_resumption",
    "input_audio_transcription",
    "output_audio_transcription",
    "realtime_input_config",
    "context_window_compression",
    "proactivity",
    "safety_settings",
)
"""LiveConnectConfig fields copied to the top of ``setup`` as they are."""


def live_url(settings: Settings) -> str:
    """``wss://host/ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerateContent``
    (``ws://`` for a plain-http loopback base URL such as the emulator's)."""
    base = settings.base_url
    scheme, rest = base.split("://", 1)
    ws = "wss" if scheme == "https" else "ws"
    return f"{ws}://{rest}/ws/google.ai.generativelanguage.{settings.api_version}.GenerativeService.{METHOD}"


def connect_config(config: Any) -> LiveConnectConfig | None:
    """The user's config (None, Struct or dict in either key spelling) as a checked Struct."""
    return None if config is None else to_struct(config, LiveConnectConfig, "config")


def setup(model: str, config: LiveConnectConfig | None, handle: str | None = None) -> LiveClientSetup:
    """The ``setup`` message; ``handle`` (a resumption handle) replaces the configured one."""
    if config is None:
        return LiveClientSetup(model=model)
    gen = msgspec.structs.asdict(config.generation_config) if config.generation_config is not None else {}
    for name in GENERATION_FIELDS:
        value = getattr(config, name)
        if value is not None:
            gen[name] = value
    gen = {k: v for k, v in gen.items() if v is not None}
    top = {name: getattr(config, name) for name in SETUP_FIELDS}
    resumption = config.session_resumption
    if resumption is not None and handle is not None:
        top["session_resumption"] = msgspec.structs.replace(resumption, handle=handle)
    system = config.system_instruction
    return LiveClientSetup(
        model=model,
        generation_config=GenerationConfig(**gen) if gen else None,
        system_instruction=None if system is None else to_content(system, "config.system_instruction"),
        **top,
    )


def encode_message(message: LiveClientMessage) -> bytes:
    return encode(message)


def setup_frame(model: str, config: LiveConnectConfig | None, handle: str | None = None) -> bytes:
    return encode(LiveClientMessage(setup=setup(model, config, handle)))


def client_content_frame(turns: Any, turn_complete: bool) -> bytes:
    """``clientContent``: ``turns`` as for generate_content (str, Part, Content, dicts, lists)."""
    if not isinstance(turn_complete, bool):
        raise ConfigurationError(f"turn_complete must be True or False, got {turn_complete!r}")
    turns_ = None if turns is None else to_contents(turns, "turns")
    content = LiveClientContent(turns=turns_, turn_complete=turn_complete)
    return encode(LiveClientMessage(client_content=content))


_REALTIME = ("audio", "video", "text", "audio_stream_end", "activity_start", "activity_end", "media")


def realtime_frame(**given: Any) -> bytes:
    """``realtimeInput`` with exactly one of ``audio``/``video`` (Blob, dict or image), ``text``,
    ``audio_stream_end``, ``activity_start``, ``activity_end``."""
    chosen = {k: v for k, v in given.items() if v is not None}
    if len(chosen) != 1:
        raise ConfigurationError(
            f"send_realtime_input takes exactly one of {', '.join(_REALTIME)}; got {sorted(chosen) or 'none'}"
        )
    name, value = next(iter(chosen.items()))
    if name in ("audio", "video", "media"):
        blob = _blob(value, name)
        if name == "media":
            message = LiveClientRealtimeInput(media_chunks=[blob])
        elif name == "audio":
            message = LiveClientRealtimeInput(audio=blob)
        else:
            message = LiveClientRealtimeInput(video=blob)
    elif name == "text":
        if not isinstance(value, str):
            raise ConfigurationError(f"text must be a str, got {type(value).__name__}")
        message = LiveClientRealtimeInput(text=value)
    elif name == "audio_stream_end":
        if value is not True:
            raise ConfigurationError("audio_stream_end must be True (it marks the end of the audio stream)")
        message = LiveClientRealtimeInput(audio_stream_end=True)
    elif name == "activity_start":
        message = LiveClientRealtimeInput(activity_start=ActivityStart())
    else:
        message = LiveClientRealtimeInput(activity_end=ActivityEnd())
    return encode(LiveClientMessage(realtime_input=message))


def _blob(value: Any, name: str) -> Blob:
    if isinstance(value, Blob):
        blob = value
    elif isinstance(value, dict):
        blob = to_struct(value, Blob, name)
    else:  # an image (PIL) or raw bytes of a known format, as generate_content takes them
        part = to_part(value, name)
        if part.inline_data is None:
            raise ConfigurationError(f"{name} must be a types.Blob (data and mime_type), a dict or an image")
        blob = part.inline_data
    if not blob.data or not blob.mime_type:
        raise ConfigurationError(f"{name} needs both data (bytes) and mime_type, e.g. 'audio/pcm;rate=16000'")
    return blob


def tool_response_frame(function_responses: Any) -> bytes:
    """``toolResponse``: one FunctionResponse (or dict) or a list of them; each needs the call's ``id``."""
    responses = tool_responses(function_responses)
    return responses_frame(responses)


def tool_responses(function_responses: Any) -> list[FunctionResponse]:
    """The caller's ``function_responses`` (one or a list of FunctionResponse or dict), each with an ``id``."""
    items = function_responses if isinstance(function_responses, (list, tuple)) else [function_responses]
    if not items:
        raise ConfigurationError("function_responses is empty; answer each toolCall function call")
    responses = [to_struct(r, FunctionResponse, f"function_responses[{i}]") for i, r in enumerate(items)]
    for i, response in enumerate(responses):
        if not response.id:
            raise ConfigurationError(
                f"function_responses[{i}] has no id: copy the id of the FunctionCall it answers "
                "(message.tool_call.function_calls[...].id)"
            )
    return responses


def responses_frame(responses: list[FunctionResponse]) -> bytes:
    """``toolResponse`` with ``responses`` as they are (the session's own answers echo ids, never invent them)."""
    return encode(LiveClientMessage(tool_response=LiveClientToolResponse(function_responses=responses)))


@functools.cache
def _decoder() -> msgspec.json.Decoder[LiveServerMessage]:
    return decoder(LiveServerMessage)


def decode_message(frame: bytes | str) -> LiveServerMessage:
    """One server frame (text or binary, UTF-8 JSON) as a typed message; StreamError if it is not one."""
    try:
        return _decoder().decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        excerpt = bytes(frame[:120]) if isinstance(frame, bytes) else frame[:120].encode()
        raise StreamError(f"the live server sent a frame that is not a LiveServerMessage ({exc}): {excerpt!r}") from exc


# --------------------------------------------------------------------------- close codes -> errors

_CLOSE_DEFAULTS: dict[int, tuple[int, str]] = {
    1001: (503, "UNAVAILABLE"),
    1003: (400, "INVALID_ARGUMENT"),
    1007: (400, "INVALID_ARGUMENT"),
    1008: (403, "PERMISSION_DENIED"),
    1009: (413, "INVALID_ARGUMENT"),
    1011: (500, "INTERNAL"),
    1012: (503, "UNAVAILABLE"),
    1013: (503, "UNAVAILABLE"),
    1014: (502, "UNAVAILABLE"),
}
"""Close code -> the HTTP-like code and google.rpc status used when the reason names neither."""

_REASON_HINTS: tuple[tuple[str, int, str], ...] = (
    ("not found", 404, "NOT_FOUND"),
    ("api key not valid", 400, "INVALID_ARGUMENT"),
    ("quota", 429, "RESOURCE_EXHAUSTED"),
    ("resource_exhausted", 429, "RESOURCE_EXHAUSTED"),
    ("deadline", 504, "DEADLINE_EXCEEDED"),
    ("unavailable", 503, "UNAVAILABLE"),
    ("overloaded", 503, "UNAVAILABLE"),
    ("not implemented", 501, "UNIMPLEMENTED"),
    ("invalid argument", 400, "INVALID_ARGUMENT"),
)


def close_error(code: int | None, reason: str, endpoint: str) -> GenAIError:
    """The error for a socket closed with ``code``/``reason`` while the session was in use."""
    if code is None or code == 1006:
        return ConnectionError(f"{endpoint}: the live connection dropped without a close frame")
    if code in (1000, 1005):  # normal closure, or a close frame without a code
        return StreamError(f"{endpoint}: the server ended the live session ({code} {reason or 'normal closure'})")
    lowered = reason.lower()
    http, status = next(
        ((c, s) for hint, c, s in _REASON_HINTS if hint in lowered), _CLOSE_DEFAULTS.get(code, (500, "UNKNOWN"))
    )
    message = f"{reason or 'no reason given'} (WebSocket close code {code})"
    err: APIError = error_class(http)(http, status, message, endpoint=endpoint)
    err.close_code = code
    return err
