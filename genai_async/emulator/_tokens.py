"""The emulator's tokenizer: one deterministic rule shared by countTokens, usage and streaming.

A token is a word (a long word counts one token per 12 characters, as subword tokenizers split
rare words) or a punctuation mark, together with the whitespace in front of it, so
``"".join(split_tokens(text)) == text`` and cutting at a token boundary never splits a short word.
Media parts cost a flat 258 tokens (the service's price of one image); structured parts
(function calls and responses, tool declarations) are counted over their compact JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

MEDIA_TOKENS = 258
_TOKEN = re.compile(r"\s*(?:\w{1,12}|[^\w\s])|\s+", re.UNICODE)
# The same count without capturing the whitespace: the one pass a long prompt pays for.
_PIECE = re.compile(r"\w{1,12}|[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s")
_WORD_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_WORD_OR_SPACE = _WORD_BYTES + b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_SHAPE = bytes(97 if c in _WORD_BYTES else 32 for c in range(256))  # word bytes -> "a", the rest -> " "
_LONG_RUN = b"a" * 13
_LONG_RUNS = re.compile(rb"a{13,}")  # the only runs of word bytes longer than one token
_SLICE = 64 * 1024


def split_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_text(text: str) -> int:
    """``len(split_tokens(text))``, computed without building the pieces' whitespace.

    A long text is counted in slices cut at whitespace (where no token spans the cut), so the
    worker thread handling a long prompt lets go of the GIL between slices and the event loop
    keeps serving other requests.
    """
    trailing = 1 if text[-1:].isspace() else 0
    if len(text) <= _SLICE:
        return (_count_ascii(text) if text.isascii() else len(_PIECE.findall(text))) + trailing
    count, start = 0, 0
    while start < len(text):
        cut = _cut(text, start + _SLICE)
        count += len(_PIECE.findall(text, start, cut))
        start = cut
    return count + trailing


def _count_ascii(text: str) -> int:
    """``len(_PIECE.findall(text))`` for ASCII text, with bytes methods instead of one match per token.

    In ASCII, ``\\w`` is ``[A-Za-z0-9_]`` and ``\\s`` is ``bytes.split()``'s whitespace plus
    ``\\x1c-\\x1f``. Every other byte is one punctuation token; each run of word bytes is one token
    per 12 bytes started. With word bytes mapped to ``a`` and the rest to spaces, the runs are the
    ``" a"`` pairs (plus one when the text starts with a word), counted without building them.
    """
    raw = text.encode("ascii")
    shape = raw.translate(_SHAPE)
    count = shape.count(b" a") + (shape[:1] == b"a") + len(raw.translate(None, _WORD_OR_SPACE))
    if _LONG_RUN in shape:
        count += sum((len(run) - 1) // 12 for run in _LONG_RUNS.findall(shape))
    return count


def _cut(text: str, at: int) -> int:
    """A position at or after ``at`` just before a whitespace character (or the end)."""
    if at >= len(text):
        return len(text)
    match = _SPACE.search(text, at)
    return match.start() if match is not None else len(text)


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
