"""Server-side tools answered like the service: googleSearch, codeExecution, urlContext (§3.3, §4.2, §4.4).

Deterministic stand-ins, schema-correct, so code that reads grounding or code results can be
tested offline:

- ``googleSearch`` (or the legacy ``googleSearchRetrieval``): one search query (the prompt's first
  words), two web chunks whose URIs are redirect URLs on ``vertexaisearch.cloud.google.com`` (as the
  service's are), one support per answer sentence (UTF-8 byte offsets, ``startIndex`` omitted when
  0, as proto3 JSON does) and a ``searchEntryPoint`` with a rendered chip.
- ``codeExecution``: an ``executableCode`` part (Python that sums the prompt's numbers, or prints
  its keyword) and a ``codeExecutionResult`` part with ``OUTCOME_OK`` and the output the code would
  print, before the answer text. The code is never run.
- ``urlContext``: ``urlContextMetadata`` with one ``URL_RETRIEVAL_STATUS_SUCCESS`` entry per URL in
  the prompt (none without URLs), and an answer that names the first page.

The tool results the service would feed back to the model are counted as
``toolUsePromptTokenCount`` (a fixed cost per result).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from ._text import Prompt

SEARCH_RESULT_TOKENS = 48
URL_RESULT_TOKENS = 160
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_SITES = ["en.wikipedia.org", "britannica.com", "nationalgeographic.com", "bbc.com", "reuters.com", "nasa.gov"]


@dataclass
class ToolResults:
    """What the server-side tools add to one candidate."""

    parts: list[dict[str, Any]] = field(default_factory=list)
    """Parts before the answer text (code and its result)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Candidate fields (``groundingMetadata``, ``urlContextMetadata``) on its final event."""
    prompt_tokens: int = 0
    """``toolUsePromptTokenCount``."""
    lead: str = ""
    """A sentence put before the answer text."""


_SERVER_TOOLS = frozenset({"googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext"})


def enabled(request: dict[str, Any]) -> set[str]:
    """The server-side tools the request declares."""
    tools = request.get("tools")
    if not tools:
        return set()
    return {name for tool in tools if isinstance(tool, dict) for name in _SERVER_TOOLS & set(tool)}


def _redirect(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()[:18]
    return "https://vertexaisearch.cloud.google.com/grounding-api-redirect/" + base64.urlsafe_b64encode(digest).decode()


def _query(prompt: Prompt) -> str:
    words = re.findall(r"[\w'-]+", prompt.latest_text[:2000].lower())
    return " ".join(words[:8]) or "search"


def _code(prompt: Prompt) -> tuple[str, str]:
    numbers = prompt.hints.numbers[:8]
    if numbers:
        shown = ", ".join(f"{n:g}" for n in numbers)
        total = sum(numbers)
        return f"numbers = [{shown}]\nprint(sum(numbers))\n", f"{total:g}\n"
    keyword = prompt.hints.keyword or "this topic"
    return f"topic = {keyword!r}\nprint(len(topic))\n", f"{len(keyword)}\n"


def before_answer(tools: set[str], prompt: Prompt) -> ToolResults:
    """Parts, lead sentence and tool tokens decided before the answer text exists."""
    out = ToolResults()
    if "codeExecution" in tools:
        code, output = _code(prompt)
        out.parts = [
            {"executableCode": {"language": "PYTHON", "code": code}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": output}},
        ]
        out.lead = f"The code printed {output.strip()}."
    if "urlContext" in tools:
        found = (u.rstrip(".,;:!?") for u in _URL.findall(prompt.latest_text))  # sentence punctuation
        urls = list(dict.fromkeys(found))[:20]
        if urls:
            out.metadata["urlContextMetadata"] = {
                "urlMetadata": [{"retrievedUrl": u, "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"} for u in urls]
            }
            out.prompt_tokens += URL_RESULT_TOKENS * len(urls)
            out.lead = " ".join(filter(None, [out.lead, f"According to {urls[0]}, here is the gist."]))
    return out


def grounding(prompt: Prompt, text: str) -> dict[str, Any]:
    """``groundingMetadata`` for the final answer ``text`` (supports point into it by UTF-8 byte offsets)."""
    query = _query(prompt)
    start = sum(ord(c) for c in query) % len(_SITES)
    sites = [_SITES[start], _SITES[(start + 1) % len(_SITES)]]
    chunks = [{"web": {"uri": _redirect(query + site), "title": site}} for site in sites]
    supports = []
    for i, match in enumerate(_SENTENCE.finditer(text)):
        if i >= 3:
            break
        raw = match.group()
        first = match.start() + len(raw) - len(raw.lstrip())
        last = match.start() + len(raw.rstrip())
        if last <= first:
            continue
        begin = len(text[:first].encode())
        segment: dict[str, Any] = {"startIndex": begin} if begin else {}
        segment.update(endIndex=begin + len(text[first:last].encode()), text=text[first:last])
        supports.append({"segment": segment, "groundingChunkIndices": [0, 1] if i == 0 else [i % 2]})
    href = "https://www.google.com/search?q=" + query.replace(" ", "+")
    rendered = (
        "<style>.container{display:flex}.chip{border-radius:16px}</style>"
        f'<div class="container"><a class="chip" href="{href}">{query}</a></div>'
    )
    return {
        "searchEntryPoint": {"renderedContent": rendered},
        "groundingChunks": chunks,
        "groundingSupports": supports,
        "webSearchQueries": [query],
    }
