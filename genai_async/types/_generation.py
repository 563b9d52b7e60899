"""The wire's ``generationConfig`` and the settings it nests: thinking, speech, image, safety, audio.

Shared by both sides: the user's flat ``GenerateContentConfig`` (``_config.py``) holds these same
objects, and ``_coerce.py`` moves them into the wire request's ``GenerationConfig``
(``_requests.py``) unchanged (docs/gemini-rest.md §3.1, §3.5, §3.8).
"""

from typing import Any, ClassVar

from ._base import _Base
from ._tools import Schema


class ThinkingConfig(_Base):
    """Thinking settings; sending both a budget and a level is rejected."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("thinking_level",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    include_thoughts: bool | None = None
    """Return thought summaries as parts with ``thought=True``."""
    thinking_budget: int | None = None
    """Gemini 2.5 style, in tokens: ``0`` disables where allowed, ``-1`` is dynamic."""
    thinking_level: str | None = None
    """Gemini 3 style: a ``ThinkingLevel`` such as ``"LOW"`` or ``"HIGH"``."""


class SafetySetting(_Base):
    """Blocking threshold for one harm category."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("category", "threshold")
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    category: str | None = None
    """A ``HarmCategory`` value."""
    threshold: str | None = None
    """A ``HarmBlockThreshold`` value."""
    method: str | None = None
    """Vertex AI only."""


class PrebuiltVoiceConfig(_Base):
    """A named built-in voice."""

    voice_name: str | None = None


class VoiceConfig(_Base):
    """The voice to speak with."""

    prebuilt_voice_config: PrebuiltVoiceConfig | None = None


class SpeakerVoiceConfig(_Base):
    """The voice of one named speaker in multi-speaker audio."""

    speaker: str | None = None
    """The speaker's name as it appears in the prompt."""
    voice_config: VoiceConfig | None = None


class MultiSpeakerVoiceConfig(_Base):
    """Voices for multi-speaker audio (exactly two speakers)."""

    speaker_voice_configs: list[SpeakerVoiceConfig] | None = None


class SpeechConfig(_Base):
    """Audio output settings; set ``voice_config`` or ``multi_speaker_voice_config``, not both."""

    voice_config: VoiceConfig | None = None
    multi_speaker_voice_config: MultiSpeakerVoiceConfig | None = None
    language_code: str | None = None


class ImageConfig(_Base):
    """Image output settings for image-generating models."""

    aspect_ratio: str | None = None
    """E.g. ``"16:9"``; supported ratios depend on the model."""
    image_size: str | None = None
    """``"1K"``, ``"2K"`` or ``"4K"``."""


class AudioTranscriptionConfig(_Base):
    """Speech-recognition options for audio input (``generationConfig.audioTranscriptionConfig``)."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("mode",)

    language_codes: list[str] | None = None
    """BCP-47 codes of the languages spoken."""
    custom_vocabulary: list[str] | None = None
    adaptation_phrases: list[str] | None = None
    word_timestamp: bool | None = None
    diarization: bool | None = None
    mode: str | None = None
    """``VERBATIM`` or ``SMART``."""
    source_text: str | None = None


class GenerationConfig(_Base):
    """Sampling and output settings, the wire's ``generationConfig`` object."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("response_modalities", "media_resolution")
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    stop_sequences: list[str] | None = None
    response_mime_type: str | None = None
    """``text/plain`` (default), ``application/json`` or ``text/x.enum``."""
    response_schema: Schema | None = None
    response_json_schema: Any = None
    """Plain JSON Schema for the output; exclusive with ``response_schema``."""
    response_modalities: list[str] | None = None
    """``Modality`` values such as ``"TEXT"``, ``"IMAGE"``, ``"AUDIO"``."""
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_logprobs: bool | None = None
    """Return ``Candidate.logprobs_result``."""
    logprobs: int | None = None
    """Alternatives per step in ``logprobs_result``, 0-20; needs ``response_logprobs``."""
    enable_enhanced_civic_answers: bool | None = None
    speech_config: SpeechConfig | None = None
    thinking_config: ThinkingConfig | None = None
    image_config: ImageConfig | None = None
    media_resolution: str | None = None
    """A ``MediaResolution`` value applied to all input media."""
    enable_affective_dialog: bool | None = None
    audio_transcription_config: AudioTranscriptionConfig | None = None
