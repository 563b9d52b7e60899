"""Conversation rules the service enforces on ``contents`` (gemini-rest.md §3.6, §5.5, §13.4).

- Every part holds one data member; ``{}`` and ``{"text": ""}`` (without a signature) are refused.
- A function-call turn (a model turn with ``functionCall`` parts) comes right after a user turn or
  a function-response turn; a function-response turn comes right after a function-call turn and
  answers each of its calls (same number of parts).
- Gemini 3 models: in the current turn (everything after the last user message that is not a
  function response) the first ``functionCall`` part of each model step carries the
  ``thoughtSignature`` it was generated with. Any non-empty signature passes: the emulator cannot
  tell a replayed one from an invented one.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ._wire import ApiError

DATA_MEMBERS = frozenset(
    {
        "text",
        "inlineData",
        "fileData",
        "functionCall",
        "functionResponse",
        "executableCode",
        "codeExecutionResult",
        "toolCall",
        "toolResponse",
    }
)
CALL_ORDER = (
    "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
)
RESPONSE_ORDER = "Please ensure that function response turn comes immediately after a function call turn."
RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function call parts "
    "of the function call turn."
)
_MISSING_SIGNATURE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
    "correctly, and missing thought_signature may lead to degraded model performance. Additional data, function "
    "call `default_api:{name}` , position {position}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
_GENERATION = re.compile(r"(\d+)(?:\.\d+)?-[a-z]")


def generation(model: dict[str, Any]) -> int:
    """The model family's major version (``gemini-3.5-flash`` -> 3; aliases by their ``version``)."""
    return _generation(str(model.get("version", "")), str(model.get("name", "")))


@functools.lru_cache(maxsize=256)
def _generation(version: str, name: str) -> int:
    for text in (version, name.removeprefix("models/gemini-")):
        match = _GENERATION.match(text)
        if match:
            return int(match.group(1))
    return 0


def _count(content: dict[str, Any], member: str) -> int:
    return sum(1 for part in content.get("parts") or [] if member in part)


def check_parts(contents: list[dict[str, Any]], where: str = "GenerateContentRequest") -> None:
    for i, content in enumerate(contents):
        for j, part in enumerate(content.get("parts") or []):
            members = DATA_MEMBERS.intersection(part)
            empty_text = members == {"text"} and part["text"] == "" and not part.get("thoughtSignature")
            if not members or empty_text:
                raise ApiError(
                    400,
                    f"* {where}.contents[{i}].parts[{j}].data: required oneof field 'data' must have one "
                    "initialized field\n",
                )


def check_turns(contents: list[dict[str, Any]]) -> None:
    """The function-calling order rules, first violation wins."""
    previous: dict[str, Any] | None = None
    for content in contents:
        calls, responses = _count(content, "functionCall"), _count(content, "functionResponse")
        if calls:
            follows_user = previous is not None and previous.get("role", "user") != "model"
            if not follows_user:
                raise ApiError(400, CALL_ORDER)
        if responses:
            answered = _count(previous, "functionCall") if previous and previous.get("role") == "model" else 0
            if not answered:
                raise ApiError(400, RESPONSE_ORDER)
            if responses != answered:
                raise ApiError(400, RESPONSE_COUNT)
        previous = content


def check_signatures(contents: list[dict[str, Any]], model: dict[str, Any]) -> None:
    """Gemini 3: the current turn's function-call steps replay their signatures."""
    if generation(model) < 3:
        return
    start = 0
    for i, content in enumerate(contents):
        parts = content.get("parts") or []
        if content.get("role", "user") != "model" and any("functionResponse" not in p for p in parts):
            start = i + 1
    for content in contents[start:]:
        parts = content.get("parts") or []
        calls = [(j, p) for j, p in enumerate(parts) if "functionCall" in p]
        if content.get("role") == "model" and calls and not calls[0][1].get("thoughtSignature"):
            position, part = calls[0]
            name = part["functionCall"].get("name", "") if isinstance(part["functionCall"], dict) else ""
            raise ApiError(400, _MISSING_SIGNATURE.format(name=name, position=position + 1))
