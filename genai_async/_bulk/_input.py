"""Input of a bulk run: JSONL lines (or Python objects) turned into ``Item(key, contents, config)``.

A line is one JSON object:
- ``{"prompt": "..."}``: a bare prompt;
- ``{"contents": ..., "config": {...}}``: as for ``generate_content`` (flat config, either key
  spelling), optionally with wire fields next to ``contents`` (``generationConfig``,
  ``systemInstruction``, ``tools``, ``safetySettings``...), which are folded into the config;
- ``{"request": {...}}``: a wire ``GenerateContentRequest`` (the Batch API's file line shape).
``key`` is optional; the line number (from 1) is the key otherwise. A line that cannot be used
becomes an ``Item`` carrying a ConfigurationError that says why: it is written as that key's error,
never skipped silently. Lines are read in 1 MiB pieces: memory does not grow with the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from .._normalize import to_struct
from ..errors import ConfigurationError
from ..types import GenerateContentConfig

_READ = 1 << 20
_DECODE = msgspec.json.Decoder()
_WIRE_TOP = {
    "systemInstruction": "system_instruction",
    "system_instruction": "system_instruction",
    "tools": "tools",
    "toolConfig": "tool_config",
    "tool_config": "tool_config",
    "safetySettings": "safety_settings",
    "safety_settings": "safety_settings",
    "cachedContent": "cached_content",
    "cached_content": "cached_content",
    "labels": "labels",
    "serviceTier": "service_tier",
    "service_tier": "service_tier",
    "store": "store",
}
_GENERATION = ("generationConfig", "generation_config")


@dataclass(slots=True)
class Item:
    """One request of a run; ``error`` set means it cannot be sent (bad input line)."""

    key: Any
    contents: Any = None
    config: GenerateContentConfig | None = None
    error: ConfigurationError | None = None


def read_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes)`` of every non-blank line, read in pieces."""
    number = 0
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(_READ):
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                number += 1
                if line.strip():
                    yield number, line
    if tail.strip():
        yield number + 1, tail


def count_lines(path: str | os.PathLike[str]) -> int:
    """Non-blank lines of ``path`` (for the progress bar's total and ETA)."""
    return sum(1 for _ in read_lines(path))


class _PromptLine(msgspec.Struct, forbid_unknown_fields=True):
    """The common line, ``{"key"?, "prompt"}``, decoded without building a dict first."""

    prompt: str
    key: Any = msgspec.UNSET


_PROMPT = msgspec.json.Decoder(_PromptLine)


def parse_line(number: int, line: bytes) -> Item:
    try:
        fast = _PROMPT.decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError):
        pass  # anything else (contents/config/request, or bad input): the general path says what is wrong
    else:
        return Item(number if fast.key is msgspec.UNSET else fast.key, fast.prompt)
    try:
        value = _DECODE.decode(line)
    except msgspec.DecodeError as exc:
        return Item(number, error=ConfigurationError(f"input line {number} is not JSON ({exc})"))
    return to_item(value, number, f"input line {number}")


def to_item(value: Any, default_key: Any, where: str) -> Item:
    """A prompt string or a request dict -> Item (with ``error`` when it cannot be used)."""
    if isinstance(value, str):
        return Item(default_key, value)
    if not isinstance(value, Mapping):
        return Item(
            default_key,
            error=ConfigurationError(f"{where}: expected a JSON object or a string, got {type(value).__name__}"),
        )
    fields = dict(value)
    key = fields.pop("key", default_key)
    try:
        contents, config = _request_of(fields, where)
    except ConfigurationError as exc:
        return Item(key, error=exc)
    return Item(key, contents, config)


def _request_of(fields: dict[str, Any], where: str) -> tuple[Any, GenerateContentConfig | None]:
    if "prompt" in fields:
        prompt = fields.pop("prompt")
        if not isinstance(prompt, str) or fields:
            raise ConfigurationError(
                f"{where}: 'prompt' must be a string and come alone (with an optional 'key'); "
                f"use 'contents' and 'config' for more (got extra keys {sorted(fields)})"
            )
        return prompt, None
    if "request" in fields:
        wire = fields.pop("request")
        if fields or not isinstance(wire, Mapping):
            raise ConfigurationError(f"{where}: 'request' must be a GenerateContentRequest object and come alone")
        fields = dict(wire)
        fields.pop("model", None)
    if "contents" not in fields:
        raise ConfigurationError(f"{where}: no 'prompt', 'contents' or 'request'; e.g. {{\"prompt\": \"Hi\"}}")
    contents = fields.pop("contents")
    config = dict(fields.pop("config", None) or {})
    for name in _GENERATION:
        config.update(fields.pop(name, None) or {})
    for name in list(fields):
        if name in _WIRE_TOP:
            config[_WIRE_TOP[name]] = fields.pop(name)
    if fields:
        raise ConfigurationError(
            f"{where}: unknown keys {sorted(fields)}; a line has prompt, or contents and "
            "config (or request), and an optional key"
        )
    return contents, to_struct(config, GenerateContentConfig, f"{where}: config") if config else None


def from_path(path: str | os.PathLike[str]) -> Iterator[Item]:
    for number, line in read_lines(path):
        yield parse_line(number, line)
