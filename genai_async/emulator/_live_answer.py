"""What a Live answer is made of, pure: the generate request a session's history stands for, the
``serverContent`` messages of an answer (text, or 24 kHz PCM audio with its transcription), and the
Live usage block. The endpoint (``_live.py``) sends them; nothing here does I/O.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from typing import Any

from . import _generate, _tokens

SAMPLE_RATE = 24000
AUDIO_MIME = f"audio/pcm;rate={SAMPLE_RATE}"
_TONES = (300, 400, 500, 600)


def modality(setup: dict[str, Any]) -> str:
    """``TEXT`` or ``AUDIO``: the session's one response modality."""
    config = setup.get("generationConfig") or {}
    return str((config.get("responseModalities") or ["TEXT"])[0]).upper()


def request(setup: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    """The GenerateContentRequest the REST generator plans this turn from."""
    config = dict(setup.get("generationConfig") or {})
    config.pop("responseModalities", None)
    config.pop("speechConfig", None)
    out: dict[str, Any] = {"contents": history}
    for key in ("systemInstruction", "tools"):
        if key in setup:
            out[key] = setup[key]
    if config:
        out["generationConfig"] = config
    return out


def messages(
    text: str, chunk_tokens: int, setup: dict[str, Any], seconds_per_token: float
) -> list[tuple[dict[str, Any], int]]:
    """The answer's ``serverContent`` messages with their token counts (for pacing)."""
    tokens = _tokens.split_tokens(text)
    audio = modality(setup) == "AUDIO"
    transcribe = "outputAudioTranscription" in setup
    out: list[tuple[dict[str, Any], int]] = []
    for index in range(0, len(tokens), chunk_tokens):
        piece_tokens = tokens[index : index + chunk_tokens]
        piece = "".join(piece_tokens)
        if audio:
            data = tone(index // chunk_tokens, round(len(piece_tokens) * seconds_per_token * SAMPLE_RATE))
            blob = {"mimeType": AUDIO_MIME, "data": data}
            content: dict[str, Any] = {"modelTurn": {"parts": [{"inlineData": blob}]}}
            if transcribe:
                content["outputTranscription"] = {"text": piece}
        else:
            content = {"modelTurn": {"parts": [{"text": piece}]}}
        out.append(({"serverContent": content}, len(piece_tokens)))
    return out


def usage(gen: _generate.Generation, response_tokens: int, setup: dict[str, Any]) -> dict[str, Any]:
    """Live usage: ``responseTokenCount``/``responseTokensDetails`` instead of candidates* (§12)."""
    prompt = sum(gen.prompt.values())
    return {
        "promptTokenCount": prompt,
        "responseTokenCount": response_tokens,
        "totalTokenCount": prompt + response_tokens,
        "promptTokensDetails": _tokens.details(gen.prompt),
        "responseTokensDetails": [{"modality": modality(setup), "tokenCount": response_tokens}],
    }


def tone(index: int, samples: int) -> str:
    """Base64 of ``samples`` 16-bit little-endian PCM samples of a sine tone (one of four pitches)."""
    return _tone(_TONES[index % len(_TONES)], samples)


_tone_cache: dict[tuple[int, int], str] = {}


def _tone(freq: int, samples: int) -> str:
    key = (freq, samples)
    cached = _tone_cache.get(key)
    if cached is None:
        period = SAMPLE_RATE // freq
        wave = array("h", (round(8000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
        if sys.byteorder == "big":  # pragma: no cover - the wire is little-endian
            wave.byteswap()
        raw = (wave.tobytes() * (samples // period + 1))[: samples * 2]
        cached = base64.b64encode(raw).decode()
        if len(_tone_cache) < 256:
            _tone_cache[key] = cached
    return cached
