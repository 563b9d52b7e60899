"""The emulator's tokenizer: one deterministic rule shared by countTokens, usage and streaming.

A token is a word or a punctuation mark together with the whitespace in front of it, so
``"".join(split_tokens(text)) == text`` and cutting at a token boundary never splits a word.
Media parts cost a flat 258 tokens (the service's price of one image); structured parts
(function calls and responses, tool declarations) are counted over their compact JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

MEDIA_TOKENS = 258
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+", re.UNICODE)


def split_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_text(text: str) -> int:
    return len(split_tokens(text))


def modality(mime_type: str) -> str:
    """The usage modality of a MIME type (``image/png`` -> ``IMAGE``)."""
    major = mime_type.split("/", 1)[0].lower()
    if major in ("image", "audio", "video", "text"):
        return major.upper()
    return "DOCUMENT" if mime_type == "application/pdf" else "TEXT"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def count_part(part: dict[str, Any], tally: dict[str, int]) -> None:
    """Add one Part's tokens to ``tally`` (modality -> tokens)."""
    if "text" in part:
        tally["TEXT"] = tally.get("TEXT", 0) + count_text(str(part["text"]))
    for key in ("inlineData", "fileData"):
        if key in part:
            kind = modality(str(part[key].get("mimeType", "application/octet-stream")))
            tally[kind] = tally.get(kind, 0) + MEDIA_TOKENS
    for key in ("functionCall", "functionResponse", "executableCode", "codeExecutionResult"):
        if key in part:
            tally["TEXT"] = tally.get("TEXT", 0) + count_text(_compact(part[key]))


def count_contents(contents: list[dict[str, Any]], tally: dict[str, int] | None = None) -> dict[str, int]:
    tally = {} if tally is None else tally
    for content in contents:
        for part in content.get("parts") or []:
            count_part(part, tally)
    return tally


def count_request(request: dict[str, Any]) -> dict[str, int]:
    """Tokens of everything a GenerateContentRequest sends as prompt (camelCase keys)."""
    tally = count_contents(request.get("contents") or [])
    instruction = request.get("systemInstruction")
    if instruction:
        count_contents([instruction], tally)
    if request.get("tools"):
        tally["TEXT"] = tally.get("TEXT", 0) + count_text(_compact(request["tools"]))
    return tally


def details(tally: dict[str, int]) -> list[dict[str, Any]]:
    """``[{"modality": "TEXT", "tokenCount": n}, ...]``, TEXT first, empty modalities dropped."""
    order = ["TEXT", "IMAGE", "AUDIO", "VIDEO", "DOCUMENT"]
    return [{"modality": m, "tokenCount": tally[m]} for m in order if tally.get(m)]
