"""Notebook display (IPython's ``_repr_markdown_``) of responses, chunks, chat histories and streams.

Pure: objects in, Markdown text out. Text parts are Markdown already and are shown as they are;
thought summaries go in a collapsed ``<details>`` block; inline images are shown from their bytes
(a ``data:`` URI), other inline data and file references are named; function calls and code are
shown as code; usage is one line at the end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types import Content, GenerateContentResponse, Part


def part_markdown(part: Part) -> str | None:
    """One part as Markdown (None for a part that carries nothing to show)."""
    if part.text:
        if part.thought:
            return f"<details><summary>Thoughts</summary>\n\n{part.text}\n\n</details>"
        return part.text
    blob = part.inline_data
    if blob is not None:
        mime = blob.mime_type or "application/octet-stream"
        if mime.startswith("image/") and blob.data:
            return f"![{mime}](data:{mime};base64,{base64.b64encode(blob.data).decode()})"
        return f"*[{mime}, {len(blob.data or b''):,} bytes]*"
    if part.file_data is not None:
        return f"*[{part.file_data.mime_type or 'file'}]({part.file_data.file_uri})*"
    if part.function_call is not None:
        args = json.dumps(part.function_call.args or {}, ensure_ascii=False, default=str)
        return f"`{part.function_call.name}({args})`"
    if part.function_response is not None:
        return f"*function response from `{part.function_response.name}`*"
    if part.executable_code is not None:
        return f"```python\n{part.executable_code.code or ''}\n```"
    if part.code_execution_result is not None:
        return f"```\n{part.code_execution_result.output or ''}\n```"
    return None


def _parts(parts: Iterable[Part] | None) -> list[str]:
    return [md for part in parts or () if (md := part_markdown(part)) is not None]


def response_markdown(response: GenerateContentResponse) -> str:
    """A response (or one streamed chunk): its answer, why it stopped when not plainly, usage."""
    blocks: list[str] = []
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        blocks.append(f"*prompt blocked: {feedback.block_reason}*")
    candidates = response.candidates or []
    for i, candidate in enumerate(candidates):
        if len(candidates) > 1:
            blocks.append(f"**candidate {i}**")
        blocks += _parts(candidate.content.parts if candidate.content else None)
        reason = candidate.finish_reason
        if reason is not None and reason != "STOP":
            blocks.append(f"*finish reason: {reason}*")
    error = response.parse_error
    if error is not None:
        blocks.append(f"*parsed: None ({error.kind})*")
    usage = usage_line(response)
    if usage:
        blocks.append(usage)
    return "\n\n".join(blocks) if blocks else "*empty response*"


def usage_line(response: GenerateContentResponse) -> str:
    """``*gemini-3.5-flash · tokens: 3 in, 5 out, 7 thinking, 15 total*`` (empty without usage)."""
    usage = response.usage_metadata
    if usage is None:
        return ""
    counts = [
        (usage.prompt_token_count, "in"),
        (usage.cached_content_token_count, "cached"),
        (usage.candidates_token_count, "out"),
        (usage.thoughts_token_count, "thinking"),
        (usage.tool_use_prompt_token_count, "tool use"),
        (usage.total_token_count, "total"),
    ]
    shown = ", ".join(f"{n:,} {what}" for n, what in counts if n)
    model = f"{response.model_version} · " if response.model_version else ""
    return f"*{model}tokens: {shown}*"


def history_markdown(model: str, history: Iterable[Content]) -> str:
    """A chat's history, one block per turn under its role."""
    blocks = [f"*chat with {model}*"]
    for content in history:
        body = "\n\n".join(_parts(content.parts)) or "*(no content)*"
        blocks.append(f"**{content.role or 'user'}**\n\n{body}")
    return "\n\n---\n\n".join(blocks)
