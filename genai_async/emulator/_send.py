"""Write a reply to the socket: framing, pacing and scripted faults.

A reply is a list of items (response chunks as dicts, or raw bytes written verbatim). Framing turns
each item into exactly one write: SSE ``data: <one-line JSON>`` + two line ends (gemini-rest.md
§5.2), the JSON-array stream ``[{...}`` / ``\\n,\\r\\n{...}`` / ``\\n]`` (§5.10), or a single
pretty-printed unary body. :func:`plan` is pure: it applies a fault to the items and returns the
actions (write, sleep, hang, abort) that :class:`Sender` then performs. Sleeps and hangs end early
when the emulator shuts down or the client goes away, so no handler outlives the server.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._script import Fault, ScriptedError, ScriptedResponse
from ._wire import (
    DEFAULT_MESSAGES,
    JSON_CONTENT_TYPE,
    STATUS_NAMES,
    ApiError,
    one_line,
    pretty,
    pretty_element,
    retry_details,
)

SSE_CONTENT_TYPE = "text/event-stream"
_DEFAULT_ERROR: dict[str, Any] = {
    "code": 503,
    "message": "The model is overloaded. Please try again later.",
    "status": "UNAVAILABLE",
}


@dataclass
class Item:
    payload: Any
    tokens: int = 0
    raw: bool = False
    simple: bool = False
    """The payload holds no float and no None (see ``_wire.pretty_element``)."""


@dataclass
class Reply:
    """What a handler wants sent; ``framing`` is ``unary``, ``sse`` or ``array``."""

    items: list[Item]
    framing: str = "unary"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = JSON_CONTENT_TYPE
    paced: bool = False
    """Whether time_to_first_chunk / tokens_per_second apply (generated content only)."""


def unary(body: Any, status: int = 200, headers: dict[str, str] | None = None, tokens: int = 0) -> Reply:
    raw = isinstance(body, bytes)
    return Reply([Item(body, tokens, raw)], "unary", status, dict(headers or {}))


def stream(items: list[Item], sse: bool, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A ``streamGenerateContent`` reply: SSE with ``alt=sse``, else the JSON-array form."""
    content_type = SSE_CONTENT_TYPE if sse else JSON_CONTENT_TYPE
    return Reply(items, "sse" if sse else "array", status, dict(headers or {}), content_type)


def error_reply(err: ApiError) -> Reply:
    return unary(err.envelope(), status=err.code, headers=err.headers)


def scripted_error(action: ScriptedError) -> Reply:
    """The reply for ``Emulator.queue_error``: the envelope, or a raw body such as a proxy's HTML page."""
    if action.body is not None:
        is_html = action.body.lstrip()[:1] == b"<"
        reply = unary(action.body, status=action.status, headers=action.headers)
        reply.content_type = action.content_type or f"text/{'html' if is_html else 'plain'}; charset=UTF-8"
        return reply
    message = action.message
    details = list(action.details or [])
    if action.retry_delay is not None:
        details += retry_details(action.retry_delay)
        if message is None and action.status == 429:
            message = f"{DEFAULT_MESSAGES[429]}\nPlease retry in {action.retry_delay:g}s."
    reply = error_reply(
        ApiError(action.status, message, status=action.status_name, details=details, headers=action.headers)
    )
    reply.content_type = action.content_type or reply.content_type
    return reply


def scripted_response(action: ScriptedResponse, endpoint: str, sse: bool) -> Reply:
    """The reply for ``Emulator.queue_response``; stream chunks become one event each."""
    body = action.body.encode() if isinstance(action.body, str) else action.body
    if endpoint != "streamGenerateContent":
        return unary(body, status=action.status, headers=action.headers)
    chunks = body if isinstance(body, list) else [body]
    items = [Item(c.encode() if isinstance(c, str) else c, raw=isinstance(c, (bytes, str))) for c in chunks]
    return stream(items, sse, action.status, action.headers)


def _frame(item: Item, framing: str, position: int, last: bool, line_end: bytes) -> bytes:
    if item.raw:
        return bytes(item.payload)
    if framing == "sse":
        return b"data: " + one_line(item.payload) + line_end + line_end
    if framing == "array":
        head = b"[" if position == 0 else b"\n,\r\n"
        return head + pretty_element(item.payload) + (b"\n]" if last else b"")
    return pretty(item.payload, simple=item.simple)


def _error_payload(opts: dict[str, Any]) -> dict[str, Any]:
    error = dict(_DEFAULT_ERROR)
    if "code" in opts:
        error["code"] = int(opts["code"])
        error["status"] = STATUS_NAMES.get(error["code"], error["status"])
    for key in ("message", "status"):
        if key in opts:
            error[key] = opts[key]
    return {"error": error}


def _transform(items: list[Item], fault: Fault | None, line_end: bytes) -> list[Item]:
    """Apply the faults that change *what* is sent (as opposed to how)."""
    if fault is None:
        return items
    n, opts = fault.after_events, fault.opts
    if fault.kind == "no_finish_reason":
        items = copy.deepcopy(items)
        for item in items:
            for cand in item.payload.get("candidates", []) if isinstance(item.payload, dict) else []:
                cand.pop("finishReason", None)
                cand.pop("finishMessage", None)
        return items
    if fault.kind == "inband_error":
        return items[:n] + [Item(_error_payload(opts))]
    if fault.kind == "raw_json_error":
        body = pretty(_error_payload(opts))
        return items[:n] + [Item(body, raw=True)]
    if fault.kind == "invalid_json_event":
        bad = str(opts.get("data", '{"candidates": [{"content": {"parts": [{"text": "cut')).encode()
        return items[:n] + [Item(b"data: " + bad + line_end + line_end, raw=True)] + items[n:]
    if fault.kind == "oversized_event":
        size = int(opts.get("size", 1 << 20))
        filler = ("oversized " * (size // 10 + 1))[:size]
        template = items[min(n, len(items) - 1)].payload if items else {}
        event = copy.deepcopy(template) if isinstance(template, dict) else {}
        event["candidates"] = [{"content": {"parts": [{"text": filler}], "role": "model"}, "index": 0}]
        return items[:n] + [Item(event)] + items[n:]
    return items


def plan(
    reply: Reply, fault: Fault | None, *, first_delay: float, tokens_per_second: float | None, line_end: bytes
) -> list[tuple[str, Any]]:
    """The actions that send ``reply`` with ``fault`` applied: ``write``/``sleep``/``headers``/``hang``/``abort``."""
    if fault is not None and fault.kind == "reset_before_headers":
        return [("abort", None)]
    if fault is not None and fault.kind == "hang_after_headers":
        return [("headers", None), ("hang", None)]
    items = _transform(reply.items, fault, line_end)
    frames = [_frame(it, reply.framing, i, i == len(items) - 1, line_end) for i, it in enumerate(items)]
    if reply.framing == "array" and not items:
        frames = [b"[]"]
    actions: list[tuple[str, Any]] = [("headers", None)]
    cut = fault.after_events if fault is not None else -1
    for i, (item, frame) in enumerate(zip(items, frames, strict=True)):
        delay = first_delay if i == 0 else 0.0
        if tokens_per_second:
            delay += item.tokens / tokens_per_second
        if delay > 0:
            actions.append(("sleep", delay))
        if fault is not None and i == cut and fault.kind in ("drop_mid_event", "eof_mid_event", "hang_after_events"):
            break
        actions.append(("write", frame))
    if fault is None:
        return actions
    if fault.kind in ("drop_mid_event", "eof_mid_event"):
        frame = frames[min(cut, len(frames) - 1)] if frames else b'data: {"candidates": ['
        actions.append(("write", frame[: max(1, len(frame) // 2)]))
        if fault.kind == "drop_mid_event":
            actions.append(("abort", None))
    elif fault.kind == "hang_after_events":
        actions.append(("hang", None))
    elif fault.kind == "slow_drip":
        actions = _drip(actions, int(fault.opts.get("piece", 16)), float(fault.opts.get("interval", 0.005)))
    return actions


def _drip(actions: list[tuple[str, Any]], piece: int, interval: float) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for kind, value in actions:
        if kind != "write":
            out.append((kind, value))
            continue
        for start in range(0, len(value), max(1, piece)):
            out += [("write", value[start : start + piece]), ("sleep", interval)]
    return out


class Sender:
    """Performs planned actions on one aiohttp request, stopping early on shutdown or disconnect."""

    def __init__(self, closing: asyncio.Event, hanging: set[asyncio.Task[Any]]) -> None:
        self.closing = closing
        self.hanging = hanging

    async def _pause(self, seconds: float) -> bool:
        """Sleep; True when the emulator started shutting down meanwhile."""
        try:
            await asyncio.wait_for(self.closing.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    async def _hang(self, request: web.Request) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.hanging.add(task)
        try:
            while not self.closing.is_set():
                transport = request.transport
                if transport is None or transport.is_closing():
                    return
                await self._pause(0.05)
        finally:
            if task is not None:
                self.hanging.discard(task)

    async def send(self, request: web.Request, reply: Reply, actions: list[tuple[str, Any]]) -> web.StreamResponse:
        if reply.framing == "unary" and len(actions) == 2 and actions[1][0] == "write":  # headers, body: most replies
            return self._response(reply, actions[1][1])
        if actions and all(kind in ("headers", "write", "sleep") for kind, _ in actions):
            writes = [value for kind, value in actions if kind == "write"]
            if reply.framing == "unary" and len(writes) == 1:
                return await self._send_whole(request, reply, actions, writes[0])
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        if reply.content_type:
            response.headers["Content-Type"] = reply.content_type
        try:
            for kind, value in actions:
                if kind == "sleep" and await self._pause(value):
                    return self._abort(request, response)
                if kind in ("headers", "write", "hang") and not response.prepared:
                    await response.prepare(request)
                if kind == "write":
                    await response.write(value)
                elif kind == "hang":
                    await self._hang(request)
                    return self._abort(request, response)
                elif kind == "abort":
                    return self._abort(request, response)
            await response.write_eof()
        except ConnectionResetError:
            pass
        return response

    async def _send_whole(
        self, request: web.Request, reply: Reply, actions: list[tuple[str, Any]], body: bytes
    ) -> web.StreamResponse:
        delay = sum(value for kind, value in actions if kind == "sleep")
        if delay and await self._pause(delay):
            return self._abort(request, web.Response())
        return self._response(reply, body)

    @staticmethod
    def _response(reply: Reply, body: bytes) -> web.Response:
        response = web.Response(status=reply.status, body=body, headers=reply.headers)
        if reply.content_type:
            response.headers["Content-Type"] = reply.content_type
        return response

    @staticmethod
    def _abort(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return response if response.prepared else web.Response()
