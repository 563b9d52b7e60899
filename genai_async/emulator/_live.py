"""The Live API endpoint (BidiGenerateContent over WebSocket, gemini-rest.md §1.1 and §12).

One handler per socket. ``setup`` must come first (anything else closes with 1007); the model must
exist (1008, the service's "not found" text); the key is checked like REST (1008). Then a reader
loop takes client messages while one answer task at a time writes the answer:

- ``clientContent`` with ``turnComplete`` (or realtime ``text``, or the end of realtime audio:
  ``audioStreamEnd``/``activityEnd``) starts an answer, planned by the REST generator over the whole
  conversation, so answers are deterministic and tool choice follows the same rules;
- (the messages are built in ``_live_answer.py``) TEXT answers stream as several
  ``serverContent.modelTurn`` text messages, AUDIO answers as 24 kHz 16-bit PCM ``inlineData`` (a
  deterministic tone per chunk, ``audio_seconds_per_token`` long per token) with
  ``outputTranscription`` when asked; then ``generationComplete``, then ``turnComplete``
  with ``usageMetadata``, then a ``sessionResumptionUpdate`` when the setup asked for resumption;
- a function call is sent as ``toolCall``; the answer continues after the matching ``toolResponse``;
- client content arriving mid-answer cancels it with ``serverContent.interrupted`` (preceded by
  ``toolCallCancellation`` with the ids of the calls still waiting for their ``toolResponse``; a late
  response to a cancelled call is ignored).

Pace: the emulator's ``time_to_first_chunk`` and ``tokens_per_second``, as for REST streams.
Scripting (tests): ``emu.live.queue_go_away(after_turns=, time_left=)``, ``queue_drop(after_messages= | after_turns=)``
and ``queue_close(code, reason, after_messages=)`` apply to the next connection(s), in order.
Frames go out binary by default (``emu.live.binary_frames = False`` for text frames).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import _catalogue, _generate, _live_answer
from ._wire import BAD_KEY_MESSAGE, DEFAULT_MESSAGES, ApiError, camelize, decode_json, one_line

if TYPE_CHECKING:
    from ._app import Emulator

PATH = "/ws/google.ai.generativelanguage.{version}.GenerativeService.{method}"
UNSUPPORTED_CONFIG = (
    "responseLogprobs",
    "responseMimeType",
    "logprobs",
    "responseSchema",
    "responseJsonSchema",
    "stopSequences",
)
MAX_FRAME = 4 * 1024 * 1024
"""Largest client frame accepted; bigger ones close the socket with 1009."""


class _Dropped(Exception):
    """The connection was cut on purpose (a scripted drop): nothing more to send."""


class _Close(Exception):
    """End the session with a close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code} {reason}")


@dataclass
class LiveFault:
    """A scripted misbehaviour for one connection."""

    kind: str  # "go_away", "drop" or "close"
    after_turns: int = 0
    after_messages: int = 0
    time_left: float = 1.0
    code: int = 1011
    reason: str = ""


@dataclass
class _State:
    """What a resumption handle restores."""

    history: list[dict[str, Any]] = field(default_factory=list)


class LiveEndpoint:
    """The WebSocket endpoint of one :class:`Emulator` (``emu.live``)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator
        self.binary_frames = True
        self.audio_seconds_per_token = 0.05
        self.sessions = 0
        """Connections that completed setup (tests count resumptions with it)."""
        self.drops = 0
        """Connections cut by a scripted drop."""
        self.frames: list[dict[str, Any]] = []
        """Every client message received (camelCase), in order."""
        self._faults: list[LiveFault] = []
        self._handles: dict[str, _State] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._counter = itertools.count(1)
        emulator.app.on_shutdown.append(self._shutdown)

    # -- scripting -----------------------------------------------------------------------------

    def queue_go_away(self, *, after_turns: int = 1, time_left: float = 1.0) -> None:
        """The next connection sends ``goAway`` after ``after_turns`` completed turns (after their
        resumption update), then closes ``time_left`` seconds later."""
        self._faults.append(LiveFault("go_away", after_turns=after_turns, time_left=time_left))

    def queue_drop(self, *, after_messages: int = 0, after_turns: int = 0) -> None:
        """The next connection is cut (the TCP connection closes, no WebSocket close frame) after
        sending ``after_messages`` messages past ``setupComplete``, or after ``after_turns``
        completed turns (after their resumption update)."""
        if (after_messages > 0) == (after_turns > 0):
            raise ValueError("queue_drop needs one of after_messages or after_turns (a positive number)")
        self._faults.append(LiveFault("drop", after_messages=after_messages, after_turns=after_turns))

    def queue_close(self, code: int, reason: str = "", *, after_messages: int = 0) -> None:
        """The next connection closes with ``code``/``reason`` after ``after_messages`` messages."""
        self._faults.append(LiveFault("close", after_messages=after_messages, code=code, reason=reason))

    def reset(self) -> None:
        self._faults.clear()
        self._handles.clear()
        self.frames.clear()
        self.sessions = self.drops = 0

    async def _shutdown(self, app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"Server shutting down.")

    # -- the handler ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        from ._app import RecordedRequest

        headers = {k.lower(): v for k, v in request.headers.items()}
        self._emu._record(RecordedRequest("GET", request.path, dict(request.query), headers, None, b""))
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        session = _Session(self, ws, request)
        try:
            await session.run(headers, dict(request.query), request.match_info)
        finally:
            self._sockets.discard(ws)
            await session.stop()
        return ws

    def _take_fault(self) -> LiveFault | None:
        return self._faults.pop(0) if self._faults else None

    def _new_handle(self, state: _State) -> str:
        handle = base64.b64encode(f"emulated-session-{next(self._counter)}".encode()).decode()
        self._handles[handle] = _State([dict(c) for c in state.history])
        return handle


class _Session:
    """One connection: setup, then client messages in, answers out."""

    def __init__(self, endpoint: LiveEndpoint, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.endpoint = endpoint
        self.emu = endpoint._emu
        self.ws = ws
        self.request = request
        self.setup: dict[str, Any] = {}
        self.model: dict[str, Any] = {}
        self.state = _State()
        self.answer: asyncio.Task[None] | None = None
        self.tool_reply: asyncio.Future[list[dict[str, Any]]] | None = None
        self.tool_ids: list[str] = []  # the ids of the calls tool_reply waits for
        self.cancelled_ids: set[str] = set()
        self.fault: LiveFault | None = None
        self.sent = 0
        self.turns = 0
        self.audio_bytes = 0
        self.closer: asyncio.Task[None] | None = None

    # -- plumbing ------------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        data = one_line(message)
        if self.endpoint.binary_frames:
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data.decode())
        self.sent += 1
        fault = self.fault
        due = fault is not None and fault.after_messages and self.sent >= fault.after_messages
        if fault is not None and due and fault.kind in ("drop", "close"):
            self.fault = None
            if fault.kind == "drop":
                self._drop()
                raise _Dropped()
            raise _Close(fault.code, fault.reason)

    def _drop(self) -> None:
        """Close the TCP connection without a close frame (what was written still arrives)."""
        self.endpoint.drops += 1
        transport = self.request.transport
        if transport is not None:
            transport.close()

    async def stop(self) -> None:
        for task in (self.closer, self.answer):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def run(self, headers: dict[str, str], query: dict[str, str], match: Any) -> None:
        try:
            await self._run(headers, query, match)
        except _Close as close:
            await self._close(close.code, close.reason)
        except (_Dropped, ConnectionError):
            pass
        except Exception as exc:  # an emulator bug: close like the service's internal error
            await self.ws.close(code=1011, message=f"Internal error: {type(exc).__name__}: {exc}".encode()[:120])

    async def _run(self, headers: dict[str, str], query: dict[str, str], match: Any) -> None:
        first = await self._read()
        if first is None:
            return
        if "setup" not in first:
            raise _Close(1007, "Invalid request: the first message must be setup.")
        self._authorize(headers, query)
        self._accept_setup(first["setup"], match.get("version", "v1beta"))
        self.endpoint.sessions += 1
        await self.send({"setupComplete": {}})
        self.fault, self.sent = self.endpoint._take_fault(), 0
        if self.fault is not None and self.fault.kind == "close" and not self.fault.after_messages:
            raise _Close(self.fault.code, self.fault.reason)
        while True:
            message = await self._read()
            if message is None:
                return
            await self._dispatch(message)

    async def _read(self) -> dict[str, Any] | None:
        msg = await self.ws.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            return None
        if msg.type is WSMsgType.ERROR:
            code = getattr(msg.data, "code", 1011)
            raise _Close(code, "Request payload size exceeds the limit." if code == 1009 else str(msg.data))
        raw = msg.data.encode() if isinstance(msg.data, str) else msg.data
        try:
            body = decode_json(raw)
        except ApiError as err:
            raise _Close(1007, err.message) from None
        if not isinstance(body, dict) or len(body) != 1:
            raise _Close(1007, "Invalid request: a client message must have exactly one member.")
        message: dict[str, Any] = camelize(body)
        self.endpoint.frames.append(message)
        return message

    def _authorize(self, headers: dict[str, str], query: dict[str, str]) -> None:
        key = headers.get("x-goog-api-key") or query.get("key")
        if not key:
            raise _Close(1008, DEFAULT_MESSAGES[403])
        if self.emu.api_key is not None and key != self.emu.api_key:
            raise _Close(1008, BAD_KEY_MESSAGE)

    def _accept_setup(self, setup: dict[str, Any], version: str) -> None:
        name = _catalogue.resource_name(str(setup.get("model", "")).strip())
        model = _catalogue.find_model(self.emu.models, name)
        if model is None and ("live" in name or "native-audio" in name):
            model = {"name": name, "outputTokenLimit": 8192}
        if model is None or _catalogue.is_embedding(model):
            raise _Close(
                1008,
                f"{name} is not found for API version {version}, or is not supported for "
                "bidiGenerateContent. Call ListModels to see the list of available models.",
            )
        config = setup.get("generationConfig") or {}
        bad = [k for k in UNSUPPORTED_CONFIG if k in config]
        if bad:
            raise _Close(1007, f"Invalid argument: generation_config.{bad[0]} is not supported in the live api.")
        modalities = [str(m).upper() for m in config.get("responseModalities") or ["TEXT"]]
        if len(modalities) != 1 or modalities[0] not in ("TEXT", "AUDIO"):
            raise _Close(1007, "Invalid argument: response_modalities must be one of TEXT or AUDIO.")
        handle = (setup.get("sessionResumption") or {}).get("handle")
        if handle:
            state = self.endpoint._handles.get(handle)
            if state is None:
                raise _Close(1008, "Invalid session resumption handle.")
            self.state = _State([dict(c) for c in state.history])
        self.setup, self.model = setup, model

    # -- client messages -----------------------------------------------------------------------

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if "setup" in message:
            raise _Close(1007, "Invalid request: setup may only be sent once.")
        if "clientContent" in message:
            content = message["clientContent"] or {}
            turns = content.get("turns") or []
            if not isinstance(turns, list):
                raise _Close(1007, "Invalid value at 'client_content.turns': expected a list.")
            await self._interrupt()
            self.state.history += [{"role": t.get("role", "user"), **t} for t in turns]
            if content.get("turnComplete"):
                self._start_answer()
        elif "realtimeInput" in message:
            await self._realtime(message["realtimeInput"] or {})
        elif "toolResponse" in message:
            responses = (message["toolResponse"] or {}).get("functionResponses") or []
            if responses and all(isinstance(r, dict) and r.get("id") in self.cancelled_ids for r in responses):
                return  # answers to calls cancelled by an interruption: too late, ignored as the service does
            if self.tool_reply is None or self.tool_reply.done():
                raise _Close(1007, "Invalid request: a tool response without a pending tool call.")
            self.tool_reply.set_result(list(responses))
            self.tool_reply = None
        else:
            raise _Close(1007, f"Invalid JSON payload received. Unknown name {next(iter(message))!r}.")

    async def _realtime(self, data: dict[str, Any]) -> None:
        if "audio" in data or "mediaChunks" in data:
            blobs = [data["audio"]] if "audio" in data else list(data["mediaChunks"] or [])
            for blob in blobs:
                size = _generate._decoded_size((blob or {}).get("data", ""), "realtime_input.audio.data")
                self.audio_bytes += size
            return
        if "video" in data:
            return
        if "text" in data:
            await self._interrupt()
            self.state.history.append({"role": "user", "parts": [{"text": str(data["text"])}]})
            self._start_answer()
            return
        if data.get("audioStreamEnd") or "activityEnd" in data:
            if self.audio_bytes:
                seconds = self.audio_bytes / 32000  # 16 kHz 16-bit mono
                heard = f"(spoken question, {seconds:.1f} seconds of audio)"
                self.audio_bytes = 0
                if "inputAudioTranscription" in self.setup:
                    await self.send({"serverContent": {"inputTranscription": {"text": heard}}})
                await self._interrupt()
                self.state.history.append({"role": "user", "parts": [{"text": heard}]})
                self._start_answer()
        # activityStart: nothing to do until the activity ends

    async def _interrupt(self) -> None:
        task, self.answer = self.answer, None
        if task is not None and not task.done():
            if self.tool_reply is not None and not self.tool_reply.done():
                self.tool_reply, ids = None, self.tool_ids
                self.cancelled_ids.update(ids)
                await self.send({"toolCallCancellation": {"ids": ids}})
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.send({"serverContent": {"interrupted": True}})

    def _start_answer(self) -> None:
        self.answer = asyncio.get_running_loop().create_task(self._answer_guarded())

    async def _answer_guarded(self) -> None:
        try:
            await self._answer()
        except _Close as close:
            await self._close(close.code, close.reason)
        except (_Dropped, ConnectionError):
            pass
        except Exception as exc:  # an emulator bug
            await self._close(1011, f"Internal error: {type(exc).__name__}: {exc}")

    async def _close_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._close(1000, "")

    async def _close(self, code: int, reason: str) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError):
                await self.ws.close(code=code, message=reason.encode()[:120])

    # -- answers -------------------------------------------------------------------------------

    async def _answer(self) -> None:
        while True:
            request = _live_answer.request(self.setup, self.state.history)
            seed = _generate.request_seed(request, self.model["name"], self.emu.seed)
            gen = _generate.generate(request, self.model, seed, lambda file: "a file")
            cand = gen.candidates[0]
            await self._pause(self.emu.time_to_first_chunk)
            if not cand.calls:
                break
            calls = [{"id": f"fc-{seed[:4].hex()}-{i}", **call} for i, call in enumerate(cand.calls)]
            self.tool_reply = asyncio.get_running_loop().create_future()
            self.tool_ids = [c["id"] for c in calls]
            await self.send({"toolCall": {"functionCalls": calls}})
            responses = await self.tool_reply
            self.state.history.append({"role": "model", "parts": [{"functionCall": c} for c in calls]})
            self.state.history.append({"role": "user", "parts": [{"functionResponse": r} for r in responses]})
        text = cand.text or ""
        per_token = self.endpoint.audio_seconds_per_token
        pieces = _live_answer.messages(text, self.emu.chunk_tokens, self.setup, per_token)
        for index, (message, tokens) in enumerate(pieces):
            if index:
                await self._pace(tokens)
            await self.send(message)
        self.state.history.append({"role": "model", "parts": [{"text": text}]})
        usage = _live_answer.usage(gen, cand.tokens, self.setup)
        await self.send({"serverContent": {"generationComplete": True}})
        await self.send({"serverContent": {"turnComplete": True}, "usageMetadata": usage})
        self.turns += 1
        if "sessionResumption" in self.setup:
            handle = self.endpoint._new_handle(self.state)
            await self.send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})
        fault = self.fault
        if fault is not None and fault.kind == "drop" and fault.after_turns and self.turns >= fault.after_turns:
            self.fault = None
            self._drop()
            raise _Dropped()
        if fault is not None and fault.kind == "go_away" and self.turns >= fault.after_turns:
            self.fault = None
            await self.send({"goAway": {"timeLeft": f"{fault.time_left:g}s"}})
            self.closer = asyncio.get_running_loop().create_task(self._close_after(fault.time_left))

    async def _pace(self, tokens: int) -> None:
        rate = self.emu.tokens_per_second
        if rate:
            await self._pause(tokens / rate)

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)
