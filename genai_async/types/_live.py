"""Live API types (BidiGenerateContent over WebSocket, docs/gemini-rest.md §12), named as in ``google.genai.types``.

``LiveConnectConfig`` is flat like the official SDK's and Python-side only: ``_live_protocol.py``
maps it onto the wire's ``setup`` message (``LiveClientSetup``). The server messages decode straight
from the frame bytes into ``LiveServerMessage``; inline audio arrives as ``bytes`` (base64 decoded
once, by msgspec).
"""

from collections.abc import Callable, Sequence
from typing import Any

from ._base import _Base
from ._config import AutomaticFunctionCallingConfig, HttpOptions
from ._content import Blob, Content, FunctionCall, FunctionResponse
from ._generation import AudioTranscriptionConfig, GenerationConfig, SafetySetting, SpeechConfig, ThinkingConfig
from ._metadata import GroundingMetadata, UrlContextMetadata, UsageMetadata
from ._tools import Tool

# ------------------------------------------------------------------------------------- settings


class SessionResumptionConfig(_Base):
    """Ask for resumable sessions; ``handle`` resumes an earlier one.

    genai_async keeps the latest handle and reconnects for you on ``goAway`` or a dropped socket
    (README, "Live API")."""

    handle: str | None = None
    """A ``LiveServerSessionResumptionUpdate.new_handle`` from an earlier session."""
    transparent: bool | None = None
    """Vertex AI only; ignored by the Gemini API."""


class SlidingWindow(_Base):
    """Context compression that drops the oldest turns down to ``target_tokens``."""

    target_tokens: int | None = None


class ContextWindowCompressionConfig(_Base):
    """Compress the context once it reaches ``trigger_tokens`` (lets sessions run past their limit)."""

    trigger_tokens: int | None = None
    sliding_window: SlidingWindow | None = None


class AutomaticActivityDetection(_Base):
    """Voice activity detection settings; ``disabled=True`` means the client sends activity_start/end."""

    disabled: bool | None = None
    start_of_speech_sensitivity: str | None = None
    end_of_speech_sensitivity: str | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None


class RealtimeInputConfig(_Base):
    """How realtime input is handled: activity detection, barge-in, what counts as the turn."""

    automatic_activity_detection: AutomaticActivityDetection | None = None
    activity_handling: str | None = None
    """``START_OF_ACTIVITY_INTERRUPTS`` (default) or ``NO_INTERRUPTION``."""
    turn_coverage: str | None = None


class ProactivityConfig(_Base):
    """Let the model decide not to answer input that is not meant for it (native audio models)."""

    proactive_audio: bool | None = None


class ActivityStart(_Base):
    """Marks the start of user activity (manual activity detection only)."""


class ActivityEnd(_Base):
    """Marks the end of user activity (manual activity detection only)."""


class LiveConnectConfig(_Base):
    """Settings of a live session for ``client.live.connect(config=...)``; never sent as-is."""

    http_options: HttpOptions | None = None
    """``base_url``, ``api_version`` and ``headers`` override the client's for this session."""
    generation_config: GenerationConfig | None = None
    response_modalities: list[str] | None = None
    """``["TEXT"]`` or ``["AUDIO"]`` (one modality per session)."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: int | None = None
    media_resolution: str | None = None
    seed: int | None = None
    speech_config: SpeechConfig | None = None
    thinking_config: ThinkingConfig | None = None
    enable_affective_dialog: bool | None = None
    system_instruction: Any = None
    """A ``str``, ``Part``, ``Content`` or a list of ``str``/``Part``."""
    tools: Sequence[Tool | Callable[..., Any] | Any] | None = None
    """``types.Tool`` objects or dicts, Python functions (sync or async) and ``mcp.ClientSession``
    objects, as for ``generate_content``: the functions are declared in ``setup`` and the session
    runs them when the model calls them (see ``automatic_function_calling``). A ``Sequence`` so that
    a ``list[types.Tool]`` type-checks (lists are invariant); it is stored as a list."""
    automatic_function_calling: AutomaticFunctionCallingConfig | None = None
    """genai_async only (the official SDK never runs functions in a live session): ``disable=True``
    declares the functions without running them; ``call_timeout`` limits one call;
    ``maximum_remote_calls`` caps the tool responses sent automatically in one turn (one less than it,
    counted as for ``generate_content``)."""
    session_resumption: SessionResumptionConfig | None = None
    """Set (even empty) to get resumption handles; the session then reconnects by itself."""
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    proactivity: ProactivityConfig | None = None
    safety_settings: list[SafetySetting] | None = None


# ----------------------------------------------------------------------------- client messages


class LiveClientSetup(_Base):
    """The first message of a session (``setup``)."""

    model: str | None = None
    generation_config: GenerationConfig | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    session_resumption: SessionResumptionConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    proactivity: ProactivityConfig | None = None
    safety_settings: list[SafetySetting] | None = None


class LiveClientContent(_Base):
    """Ordered turns appended to the context (``clientContent``); interrupts a running answer."""

    turns: list[Content] | None = None
    turn_complete: bool | None = None


class LiveClientRealtimeInput(_Base):
    """One piece of realtime input (``realtimeInput``); set one field per message."""

    audio: Blob | None = None
    """16-bit little-endian PCM, ``audio/pcm;rate=16000``."""
    video: Blob | None = None
    text: str | None = None
    audio_stream_end: bool | None = None
    activity_start: ActivityStart | None = None
    activity_end: ActivityEnd | None = None
    media_chunks: list[Blob] | None = None
    """Deprecated by the service; use ``audio`` or ``video``."""


class LiveClientToolResponse(_Base):
    """Answers to a ``toolCall`` (``toolResponse``); ids match the calls."""

    function_responses: list[FunctionResponse] | None = None


class LiveClientMessage(_Base):
    """A client message: exactly one member is set."""

    setup: LiveClientSetup | None = None
    client_content: LiveClientContent | None = None
    realtime_input: LiveClientRealtimeInput | None = None
    tool_response: LiveClientToolResponse | None = None


# ----------------------------------------------------------------------------- server messages


class Transcription(_Base):
    """A piece of input or output audio transcription."""

    text: str | None = None
    finished: bool | None = None


class LiveServerSetupComplete(_Base):
    """The answer to ``setup``: the session is ready."""

    session_id: str | None = None


class LiveServerContent(_Base):
    """Model output and turn bookkeeping (``serverContent``)."""

    model_turn: Content | None = None
    turn_complete: bool | None = None
    """The model is done with this turn; ``receive()`` ends after this message."""
    interrupted: bool | None = None
    """New client input cut the answer; drop audio you have not played yet."""
    generation_complete: bool | None = None
    input_transcription: Transcription | None = None
    output_transcription: Transcription | None = None
    grounding_metadata: GroundingMetadata | None = None
    url_context_metadata: UrlContextMetadata | None = None
    turn_complete_reason: str | None = None
    waiting_for_input: bool | None = None


class LiveServerToolCall(_Base):
    """The model asks for function calls; answer with ``session.send_tool_response``."""

    function_calls: list[FunctionCall] | None = None


class LiveServerToolCallCancellation(_Base):
    """Earlier tool calls the model no longer needs (``ids``)."""

    ids: list[str] | None = None


class LiveServerGoAway(_Base):
    """The server will close this connection soon."""

    time_left: str | None = None
    """A duration such as ``"10s"``."""


class LiveServerSessionResumptionUpdate(_Base):
    """A new handle to resume the session with (when ``resumable``)."""

    new_handle: str | None = None
    resumable: bool | None = None
    last_consumed_client_message_index: int | None = None


class LiveServerMessage(_Base):
    """One message from the server; usually one member is set, ``usage_metadata`` may ride along."""

    setup_complete: LiveServerSetupComplete | None = None
    server_content: LiveServerContent | None = None
    tool_call: LiveServerToolCall | None = None
    tool_call_cancellation: LiveServerToolCallCancellation | None = None
    usage_metadata: UsageMetadata | None = None
    go_away: LiveServerGoAway | None = None
    session_resumption_update: LiveServerSessionResumptionUpdate | None = None

    @property
    def text(self) -> str | None:
        """The text parts of ``server_content.model_turn`` joined (thoughts left out); None without parts."""
        content = self.server_content
        turn = content.model_turn if content is not None else None
        if turn is None or not turn.parts:
            return None
        texts = [p.text for p in turn.parts if p.text is not None and not p.thought]
        return "".join(texts) if texts else None

    @property
    def data(self) -> bytes | None:
        """The inline data (audio) of ``server_content.model_turn`` joined; None without any."""
        content = self.server_content
        turn = content.model_turn if content is not None else None
        if turn is None or not turn.parts:
            return None
        chunks = [p.inline_data.data for p in turn.parts if p.inline_data is not None and p.inline_data.data]
        if not chunks:
            return None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
