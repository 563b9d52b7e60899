"""Pure chat-history rules: what a turn leaves in history, and which turns are replayed.

No I/O. ``Chat`` (``chats.py``) keeps the *comprehensive* history as a flat list of ``Content`` and
derives the *curated* history from it with :func:`curate` whenever it builds a request.

Rules (docs/gemini-rest.md §3.2, §3.6, §4.2, §5.8):
- A model answer is stored as candidate 0's content, role ``"model"``, parts in the order received:
  thought parts stay, and every ``thoughtSignature`` stays on the part it came with (Gemini 3 rejects
  a replayed function call without it). A streamed answer arrives here already stitched, so one
  turn is one Content, not one Content per chunk as in the official SDK.
- Parts that carry nothing (no data member and no signature, e.g. the ``{"text": ""}`` the service
  sends next to a finishReason) are dropped from every stored turn: the API rejects them on replay.
- No candidate (prompt blocked), no content (a SAFETY or other withheld stop) or no parts left
  (MAX_TOKENS while still thinking) store a model Content with ``parts=[]``, so the comprehensive
  history still alternates user/model. Such a Content is not *valid*. The finish reason alone never
  decides: text streamed before a SAFETY stop was delivered (docs §5.3) and stays a valid turn.
- Curated history drops every exchange whose answer is not valid. An exchange is a run of user
  Contents plus the run of model Contents that follows it, extended over the function-calling rounds
  (a user turn holding only function responses continues the exchange); one invalid model Content
  drops the whole exchange, the prompt included. (The official SDK drops only the last user Content
  of the run.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._contents import to_content
from .._normalize import to_struct
from ..errors import ConfigurationError
from ..types import Content, GenerateContentResponse, Part

_DATA = (
    "inline_data",
    "file_data",
    "function_call",
    "function_response",
    "executable_code",
    "code_execution_result",
    "tool_call",
    "tool_response",
)
"""Part data members other than ``text``."""


def carries_something(part: Part) -> bool:
    """True when ``part`` has data (non-empty text, a call, a blob...) or a thought signature."""
    return bool(part.text) or part.thought_signature is not None or any(getattr(part, f) is not None for f in _DATA)


def _kept_parts(content: Content | None) -> list[Part]:
    if content is None or not content.parts:
        return []
    return [p for p in content.parts if carries_something(p)]


def model_turn(response: GenerateContentResponse) -> Content:
    """The model Content a finished answer leaves in history (``parts=[]`` when there was none)."""
    candidates = response.candidates
    return Content(role="model", parts=_kept_parts(candidates[0].content if candidates else None))


def is_valid(content: Content) -> bool:
    """True when a stored turn has at least one part, i.e. it may be replayed."""
    return bool(content.parts)


def curate(history: Sequence[Content]) -> list[Content]:
    """The history without exchanges whose model output is empty or blocked (module docstring)."""
    out: list[Content] = []
    i, n = 0, len(history)
    while i < n:
        start = i
        i += 1
        while i < n and not _starts_exchange(history, i):
            i += 1
        if all(is_valid(c) for c in history[start:i] if c.role == "model"):
            out.extend(history[start:i])
    return out


def _starts_exchange(history: Sequence[Content], i: int) -> bool:
    """A user turn after a model turn starts a new exchange, unless it answers function calls."""
    content = history[i]
    if content.role == "model" or history[i - 1].role != "model":
        return False
    parts = content.parts or ()
    return not (parts and all(p.function_response is not None for p in parts))


def user_turn(message: Any) -> Content:
    """A chat message (str, Part, dict, list of parts, or a user Content) as one user Content."""
    if message is None or (isinstance(message, (str, list, tuple)) and not message):
        raise ConfigurationError("message is empty; pass text, a types.Part, a list of parts or a user Content")
    content = to_content(message, "message")
    if content.role not in (None, "user"):
        raise ConfigurationError(
            f"message has role {content.role!r}; a chat message is always a user turn "
            "(model turns come from the answers, or from history= at chats.create)"
        )
    parts = _kept_parts(content)
    if not parts:
        raise ConfigurationError("message has no content: every part is empty")
    return Content(role="user", parts=parts)


def check_history(history: Any) -> list[Content]:
    """Validate ``history=`` for ``chats.create``: Contents or dicts (either key spelling), roles
    ``"user"``/``"model"``, starting with a user turn. A model turn may be empty (it is curated out),
    so ``chat.get_history()`` can be passed back as is."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise ConfigurationError(f"history must be a list of types.Content or dicts, got {type(history).__name__}")
    out: list[Content] = []
    for i, item in enumerate(history):
        where = f"history[{i}]"
        if not isinstance(item, (Content, Mapping)):
            raise ConfigurationError(
                f"{where} is a {type(item).__name__}; history holds types.Content or dicts such as "
                "{'role': 'user', 'parts': [{'text': 'Hello'}]}"
            )
        content = to_struct(item, Content, where)
        if content.role not in ("user", "model"):
            raise ConfigurationError(f"{where} has role {content.role!r}; set role to 'user' or 'model'")
        parts = _kept_parts(content)
        if content.role == "user" and not parts:
            raise ConfigurationError(f"{where} is a user turn with no parts; every user turn needs a part")
        out.append(Content(role=content.role, parts=parts))
    if out and out[0].role != "user":
        raise ConfigurationError("history[0] is a model turn; a conversation starts with a user turn")
    return out
