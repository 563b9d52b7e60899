"""Per-call configs users pass as ``config=``, and HTTP options. Python-side only: never sent as-is.

``GenerateContentConfig`` is flat like the official SDK's: ``_coerce.py`` splits it into the wire's
``generationConfig`` and the top-level request fields with one field table. These classes inherit
``_Base`` only for its keyword-only, repr and equality behaviour; their camelCase names never reach
the wire (that is ``_requests.py``).
"""

from collections.abc import Callable
from typing import Any, ClassVar

from ._base import _Base
from ._generation import (
    AudioTranscriptionConfig,
    GenerationConfig,
    ImageConfig,
    SafetySetting,
    SpeechConfig,
    ThinkingConfig,
)
from ._tools import Tool, ToolConfig


class HttpRetryOptions(_Base):
    """How failed requests are retried; unset fields take the client's defaults."""

    attempts: int | None = None
    """Total attempts including the first; ``1`` disables retries."""
    initial_delay: float | None = None
    """Seconds before the first retry."""
    max_delay: float | None = None
    """Upper bound in seconds for one backoff delay."""
    exp_base: float | None = None
    """Multiplier applied to the delay after each attempt."""
    jitter: float | None = None
    """Random extra delay factor added to each backoff."""
    http_status_codes: list[int] | None = None
    """Statuses that are retried."""


class HttpOptions(_Base):
    """Transport settings for the client or for one call."""

    base_url: str | None = None
    api_version: str | None = None
    """E.g. ``"v1beta"`` (the default) or ``"v1"``."""
    headers: dict[str, str] | None = None
    """Extra request headers."""
    timeout: int | None = None
    """Request timeout in **milliseconds**, as in the official SDK."""
    retry_options: HttpRetryOptions | None = None


class AutomaticFunctionCallingConfig(_Base):
    """How Python functions given in ``config.tools`` are called for the model (automatic function calling).

    On by default whenever ``tools`` holds a Python function or an ``mcp.ClientSession``.
    """

    disable: bool | None = None
    """True: declare the functions but never call them; the calls are returned in ``response.function_calls``."""
    maximum_remote_calls: int | None = 10
    """Requests sent at most for one answer, counted as the official SDK counts them; the calls in the
    answer to the last allowed request are returned unexecuted. 0 or less disables calling."""
    ignore_call_history: bool | None = None
    """True: leave ``response.automatic_function_calling_history`` unset."""
    call_timeout: float | None = None
    """genai_async only: seconds one function call may take; a call that takes longer is answered with
    ``{"error": ...}`` (an async function is cancelled; a sync one is abandoned in its worker thread)."""


class GenerateContentConfig(_Base):
    """Optional settings for ``generate_content`` and ``generate_content_stream``."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("response_modalities", "media_resolution")
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    http_options: HttpOptions | None = None
    system_instruction: Any = None
    """A ``str``, ``Part``, ``Content`` or a list of ``str``/``Part``."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    response_logprobs: bool | None = None
    logprobs: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: Any = None
    """A ``Schema``, a dict, or a Python type (msgspec Struct, dataclass, TypedDict, ``list[...]``)."""
    response_json_schema: Any = None
    """Plain JSON Schema; exclusive with ``response_schema``."""
    response_modalities: list[str] | None = None
    media_resolution: str | None = None
    speech_config: SpeechConfig | str | None = None
    """A ``SpeechConfig``, or a prebuilt voice name."""
    audio_transcription_config: AudioTranscriptionConfig | None = None
    thinking_config: ThinkingConfig | None = None
    image_config: ImageConfig | None = None
    enable_enhanced_civic_answers: bool | None = None
    safety_settings: list[SafetySetting] | None = None
    tools: list[Tool | Callable[..., Any] | Any] | None = None
    """``types.Tool`` objects or dicts, Python functions (sync or async; called for the model, see
    ``automatic_function_calling``) and ``mcp.ClientSession`` objects (their tools are listed and called)."""
    tool_config: ToolConfig | None = None
    cached_content: str | None = None
    """``cachedContents/{id}`` (a bare id gets the prefix) to use as a prompt prefix."""
    labels: dict[str, str] | None = None
    service_tier: str | None = None
    """``"standard"``, ``"flex"`` or ``"priority"``."""
    store: bool | None = None
    automatic_function_calling: AutomaticFunctionCallingConfig | None = None
    """How Python functions in ``tools`` are called; see ``AutomaticFunctionCallingConfig``."""
    continuation_token: bytes | None = None
    """Resume an answer that stopped with finishReason CONTINUATION (sent at the request's top level)."""
    auto_continue: bool | None = None
    """Follow CONTINUATION automatically and present one answer (default True; False to opt out)."""
    automatic_continuation: bool | None = None
    """The official SDK's name for ``auto_continue``; False opts out the same way."""


class CountTokensConfig(_Base):
    """Optional settings for ``count_tokens``."""

    http_options: HttpOptions | None = None
    system_instruction: Any = None
    tools: list[Tool | Callable[..., Any] | Any] | None = None
    """``types.Tool`` objects or dicts, Python functions and ``mcp.ClientSession`` objects (declared as
    ``generate_content`` declares them, never called)."""
    generation_config: GenerationConfig | None = None


class EmbedContentConfig(_Base):
    """Optional settings for ``embed_content``."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("task_type",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    http_options: HttpOptions | None = None
    task_type: str | None = None
    """A ``TaskType`` value such as ``"RETRIEVAL_DOCUMENT"``."""
    title: str | None = None
    """Only with task type ``RETRIEVAL_DOCUMENT``."""
    output_dimensionality: int | None = None
    """Truncate each embedding to this many values."""


class ListModelsConfig(_Base):
    """Paging settings for ``models.list``."""

    http_options: HttpOptions | None = None
    page_size: int | None = None
    page_token: str | None = None


class ListFilesConfig(_Base):
    """Paging settings for ``files.list``."""

    http_options: HttpOptions | None = None
    page_size: int | None = None
    page_token: str | None = None


class ListCachedContentsConfig(_Base):
    """Paging settings for ``caches.list``."""

    http_options: HttpOptions | None = None
    page_size: int | None = None
    page_token: str | None = None


class UploadFileConfig(_Base):
    """Optional settings for ``files.upload``."""

    http_options: HttpOptions | None = None
    name: str | None = None
    """``files/<id>`` to choose the id; otherwise the service picks one."""
    mime_type: str | None = None
    """Guessed from the file name when unset."""
    display_name: str | None = None


class CreateCachedContentConfig(_Base):
    """What to put in a new context cache and how long to keep it."""

    http_options: HttpOptions | None = None
    ttl: Any = None
    """How long to keep it: ``"300s"``, seconds as an int/float, or a ``datetime.timedelta``;
    exclusive with ``expire_time``."""
    expire_time: Any = None
    """When to drop it: an RFC 3339 string or a timezone-aware ``datetime.datetime``."""
    display_name: str | None = None
    contents: Any = None
    """Anything ``generate_content`` accepts as ``contents``."""
    system_instruction: Any = None
    tools: list[Tool | Callable[..., Any] | Any] | None = None
    """``types.Tool`` objects or dicts, Python functions and ``mcp.ClientSession`` objects (declared as
    ``generate_content`` declares them, never called)."""
    tool_config: ToolConfig | None = None


class UpdateCachedContentConfig(_Base):
    """A new expiry for a context cache; set ``ttl`` or ``expire_time``."""

    http_options: HttpOptions | None = None
    ttl: Any = None
    """``"300s"``, seconds as an int/float, or a ``datetime.timedelta``."""
    expire_time: Any = None
    """An RFC 3339 string or a timezone-aware ``datetime.datetime``."""
