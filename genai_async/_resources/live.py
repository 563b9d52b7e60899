"""``client.live``: bidirectional real-time sessions over WebSocket (the Live API, docs §12).

    async with client.live.connect(model="gemini-live-2.5-flash-preview", config=config) as session:
        await session.send_client_content(turns="Hello", turn_complete=True)
        async for message in session.receive():   # one turn; ends after turnComplete
            print(message.text)

Design. No background task: ``receive()`` reads the socket itself and the ``send_*`` methods write
it, one frame at a time under one lock (so frames never interleave and a fast producer waits for
the network: the lock's waiters are the bounded send queue, one suspended frame per producer).
Leaving ``async with`` (normally, by an error or by cancellation) closes the socket; a cancelled
close drops the connection instead of waiting for the server's close frame.

Session resumption (``config.session_resumption`` set, even to an empty SessionResumptionConfig).
The session keeps the latest resumable handle. It moves to a new connection:
- after ``goAway``, at the first moment no answer is in progress and the handle covers every turn
  sent (usually right after the next ``sessionResumptionUpdate``), before that connection closes;
- when the connection drops or closes with a retryable code (1001, 1006, 1011-1014) while in use.
Client turns (``clientContent`` and ``toolResponse``) sent after the latest handle are kept and sent
again on the new connection, so a question whose answer had not started is answered as if nothing
happened. An answer that was already partly delivered is not asked for again (it would arrive twice):
that turn ends with a message whose ``server_content.interrupted`` and ``turn_complete`` are True, as
when a user barges in; send the turn again if you still need it. Realtime input (audio, video) is
never sent again: it is stale by then. The session object stays the same; ``session.resumptions``
counts the moves and ``session.resumption_handle`` is the latest handle.

Function calls arrive as ``message.tool_call``. Python functions (and MCP sessions) in
``config.tools`` are declared in ``setup`` as for generate_content and run by the session itself when
``receive()`` reads a call to them: concurrently, in tasks the session owns, with the answer sent as
one ``toolResponse`` (``_live_tools.py`` has the rules; the calling is automatic function calling's
own ``Toolbox``). Other calls are answered by the caller with ``send_tool_response``. Closing the
session cancels the calls still running.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import msgspec

from .. import _afc
from .. import _live_protocol as proto
from .._coerce import model_path
from .._live_tools import LiveTools
from .._options import live_logger, with_overrides
from .._websocket import Closed, Socket, connect
from ..errors import APIError, ConfigurationError, GenAIError, StreamError, TimeoutError
from ..types import (
    ContentListUnion,
    ContentListUnionDict,
    FunctionResponse,
    FunctionResponseOrDict,
    LiveConnectConfig,
    LiveServerContent,
    LiveServerMessage,
    Tool,
)

if TYPE_CHECKING:
    from types import TracebackType

    from .._client import Client
    from .._options import Settings

_RETRYABLE = frozenset({None, 1001, 1006, 1011, 1012, 1013, 1014})
"""Close codes after which a resumable session reconnects (None: dropped without a close frame)."""
MAX_RESUME_ATTEMPTS = 3


class Live:
    """``client.live`` (also ``client.aio.live``): open Live API sessions."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def connect(self, *, model: str, config: LiveConnectConfig | dict[str, Any] | None = None) -> LiveConnect:
        """Open a session: ``async with client.live.connect(model=..., config=...) as session:``.

        Checks ``model`` and ``config`` now (ConfigurationError), connects on entering the block
        (Python functions in ``config.tools`` are declared then, before the socket opens).
        """
        cfg = proto.connect_config(config)
        settings = with_overrides(self._client._settings, cfg.http_options if cfg is not None else None)
        return LiveConnect(self._client, model_path(model), cfg, settings)


class LiveConnect:
    """The context manager returned by ``client.live.connect()``; yields an :class:`AsyncSession`."""

    __slots__ = ("_session",)

    def __init__(self, client: Client, model: str, config: LiveConnectConfig | None, settings: Settings) -> None:
        checked = config
        if config is not None and _afc.has_local_tools(config):  # declared in _start (MCP listing awaits)
            checked = msgspec.structs.replace(config, tools=[t for t in config.tools or () if isinstance(t, Tool)])
        proto.setup_frame(model, checked)  # bad config fails here, before any socket
        self._session = AsyncSession(client, model, config, settings)

    async def __aenter__(self) -> AsyncSession:
        await self._session._start()
        return self._session

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._session.close()


class AsyncSession:
    """One live session: send with ``send_*``, read a turn with ``receive()``, end with ``close()``."""

    def __init__(self, client: Client, model: str, config: LiveConnectConfig | None, settings: Settings) -> None:
        self._client = client
        self._model = model
        self._config = config
        self._settings = settings
        self._url = proto.live_url(settings)
        self._endpoint = f"{model}:{proto.METHOD}"
        self._resumable = config is not None and config.session_resumption is not None
        self.resumption_handle: str | None = config.session_resumption.handle if self._resumable else None  # type: ignore[union-attr]
        """The latest resumable handle the server sent (or the one configured)."""
        self.resumptions = 0
        """How many times the session moved to a new connection (goAway or a drop)."""
        self.session_id: str | None = None
        self._sock: Socket | None = None
        self._generation = 0
        self._lock = asyncio.Lock()  # writes and connection swaps, one at a time
        self._error: BaseException | None = None  # why the session ended (sends and receives raise it)
        self._closed = False
        self._receiving = False
        self._replay: list[tuple[int, bytes]] = []  # client turns (numbered) the latest handle may not cover
        self._sent_turns = 0  # client turns sent so far (the numbers in _replay)
        self._answered = 0  # client turns sent before the latest turnComplete was read
        self._covered = 0  # _answered when the latest handle arrived: the turns that handle holds
        self._in_answer = False  # part of an answer was delivered since the last turnComplete
        self._go_away = False
        self._pending: deque[LiveServerMessage] = deque()  # read early (a drain) or synthetic
        self._moved = asyncio.Event()  # set when the connection of this generation was replaced (or failed)
        self._tools: LiveTools | None = None  # the calls the session runs itself (callables in config.tools)

    def __repr__(self) -> str:
        state = "closed" if self._closed or self._error else "open"
        return f"<genai_async AsyncSession model={self._model!r} {state} resumptions={self.resumptions}>"

    # -- opening and closing -------------------------------------------------------------------

    async def _start(self) -> None:
        config = self._config
        if config is not None and _afc.has_local_tools(config):
            self._config, box = await _afc.prepare(config)  # callables -> declarations, as generate_content
            if box is not None:
                self._tools = LiveTools(box, self._send_responses, self._tool_failed)
        self._sock = await self._open(self.resumption_handle)

    @property
    def running_tools(self) -> int:
        """Function calls the session is running for the model right now (Python-callable tools)."""
        return 0 if self._tools is None else self._tools.running

    async def _open(self, handle: str | None) -> Socket:
        """Connect, send ``setup`` and wait for ``setupComplete`` (the client's silence limit)."""
        sock = await connect(self._client._transport, self._url, self._settings, self._endpoint)
        try:
            await sock.send(proto.setup_frame(self._model, self._config, handle))
            try:
                raw = await asyncio.wait_for(sock.receive(), self._settings.timeout)
            except asyncio.TimeoutError as exc:
                raise TimeoutError(
                    f"{self._endpoint}: no setupComplete within {self._settings.timeout}s (raise timeout=)",
                    limit="read",
                    seconds=self._settings.timeout,
                ) from exc
            first = proto.decode_message(raw)
            if first.setup_complete is None:
                raise StreamError(f"{self._endpoint}: the server answered setup with {raw[:120]!r}, not setupComplete")
            self.session_id = first.setup_complete.session_id
        except Closed as closed:
            sock.abort()
            raise closed.error from None
        except BaseException:
            sock.abort()
            raise
        return sock

    async def close(self) -> None:
        """Cancel running tool calls and close the socket; idempotent. Sending afterwards raises
        ConfigurationError."""
        self._closed = True
        tools = self._tools
        if tools is not None:
            tools.cancel_all()
        sock, self._sock = self._sock, None
        try:
            if sock is not None:
                try:
                    await sock.close()
                except BaseException:
                    sock.abort()
                    raise
        finally:
            if tools is not None:
                await tools.aclose()

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _usable(self) -> Socket:
        if self._closed:
            raise ConfigurationError(
                f"{self._endpoint}: this live session is closed; open a new one with client.live.connect()"
            )
        if self._error is not None:
            raise self._error
        if self._sock is None:
            raise ConfigurationError(
                f"{self._endpoint}: the live session is not open; use `async with client.live.connect(...)`"
            )
        return self._sock

    # -- sending -------------------------------------------------------------------------------

    async def send_client_content(
        self, *, turns: ContentListUnion | ContentListUnionDict | None = None, turn_complete: bool = True
    ) -> None:
        """Append ``turns`` (str, Part, Content, dicts or lists, as for generate_content) to the
        conversation in order; with ``turn_complete`` the model answers. Interrupts a running answer."""
        await self._send(proto.client_content_frame(turns, turn_complete), replay=True)

    async def send_realtime_input(
        self,
        *,
        media: Any = None,
        audio: Any = None,
        audio_stream_end: bool | None = None,
        video: Any = None,
        text: str | None = None,
        activity_start: Any = None,
        activity_end: Any = None,
    ) -> None:
        """Stream one piece of realtime input: ``audio`` (16 kHz 16-bit PCM Blob), ``video`` (an
        image Blob), ``text``, ``audio_stream_end=True``, ``activity_start``/``activity_end`` (pass
        ``types.ActivityStart()``/``{}``). Exactly one per call. Waits while the network is slower."""
        frame = proto.realtime_frame(
            media=media,
            audio=audio,
            audio_stream_end=audio_stream_end,
            video=video,
            text=text,
            activity_start=activity_start,
            activity_end=activity_end,
        )
        await self._send(frame, replay=False)

    async def send_tool_response(
        self, *, function_responses: FunctionResponseOrDict | Sequence[FunctionResponseOrDict]
    ) -> None:
        """Answer a ``tool_call``: FunctionResponse(s) (or dicts) whose ``id`` matches the call's.
        Calls the session runs itself (Python functions in ``config.tools``) must not be answered here."""
        responses = proto.tool_responses(function_responses)
        if self._tools is not None:
            self._tools.check_manual(responses)
        await self._send(proto.responses_frame(responses), replay=True)

    async def _send_responses(self, responses: list[FunctionResponse]) -> None:
        """The answer to a tool call the session ran itself."""
        await self._send(proto.responses_frame(responses), replay=True)

    def _tool_failed(self, exc: BaseException) -> None:
        """A tool call escaped with a BaseException: end the session with it (receive() raises it)."""
        self._error = exc
        self._moved.set()
        if self._sock is not None:
            self._sock.abort()  # wakes a parked receive()

    async def _send(self, frame: bytes, *, replay: bool) -> None:
        self._usable()
        replay = replay and self._resumable
        first = True
        while True:
            async with self._lock:
                if self._go_away and self._can_move():
                    await self._move(self._generation, cut=False)
                sock, generation = self._usable(), self._generation
                if first and replay:
                    self._replay.append((self._sent_turns, frame))
                    self._sent_turns += 1
                if first and replay:
                    self._in_answer = False  # a new client turn starts a new answer
                first = False
                try:
                    await sock.send(frame)
                    return
                except Closed as closed:
                    if self._receiving:
                        moved = self._moved  # the parked receiver reads what is left, then moves or fails
                    else:
                        closed = await self._drain(sock, closed)
                        if not self._resumable:
                            self._fail(closed.error)
                        await self._recover(generation, closed)
                        if replay:
                            return  # sent again with the replay
                        continue
            await moved.wait()
            self._usable()
            if replay:
                return

    async def _drain(self, sock: Socket, closed: Closed) -> Closed:
        """Read what a socket that failed a write still holds into ``_pending`` (a resumption update
        may be among it, and the close frame says why it closed); returns the most telling close."""
        try:
            while True:
                raw = await asyncio.wait_for(sock.receive(), self._settings.connect_timeout)
                message = proto.decode_message(raw)
                self._note(message)
                self._pending.append(message)
        except Closed as read:
            return read if read.code is not None else closed
        except (asyncio.TimeoutError, StreamError):
            return closed
        finally:
            sock.abort()

    def _fail(self, error: GenAIError) -> NoReturn:
        """End the session with ``error``: every later call raises it."""
        self._error = error
        self._moved.set()
        raise error

    # -- receiving -----------------------------------------------------------------------------

    def receive(self) -> Turn:
        """The messages of one turn, ending after the one with ``server_content.turn_complete``
        (tool calls, transcriptions, goAway and resumption updates come through as they arrive)."""
        self._usable()
        return Turn(self)

    async def _next(self) -> LiveServerMessage:
        while True:
            if self._pending:
                return self._pending.popleft()
            sock, generation = self._usable(), self._generation
            if self._receiving:
                raise ConfigurationError(f"{self._endpoint}: receive() is already running in another task")
            self._receiving = True
            try:
                raw = await sock.receive()
            except Closed as closed:
                if self._closed:
                    raise ConfigurationError(f"{self._endpoint}: the live session was closed while receiving") from None
                async with self._lock:
                    await self._recover(generation, closed)
                continue
            finally:
                self._receiving = False
            message = proto.decode_message(raw)
            self._note(message)
            if self._go_away and self._can_move():
                async with self._lock:
                    if self._go_away and self._can_move():
                        await self._move(self._generation, cut=False)
            return message

    def _note(self, message: LiveServerMessage) -> None:
        """Bookkeeping for resumption (the answer in progress, the latest handle, goAway) and the
        tool calls the session runs itself."""
        content = message.server_content
        if content is not None:
            self._in_answer = not content.turn_complete
            if content.turn_complete:
                self._answered = self._sent_turns
        elif message.tool_call is not None:
            self._in_answer = True
        update = message.session_resumption_update
        if update is not None and update.resumable and update.new_handle:
            # The handle covers the turns answered when it was issued; a turn sent after the
            # latest turnComplete (the update often arrives just after it) is kept for a replay.
            self.resumption_handle = update.new_handle
            self._covered = answered = self._answered
            self._replay = [entry for entry in self._replay if entry[0] >= answered]
        if message.go_away is not None and self._resumable:
            self._go_away = True
        tools = self._tools
        if tools is not None:  # Python-callable tools: start or cancel calls, count the turn's rounds
            if message.tool_call is not None:
                tools.take(message.tool_call.function_calls or [])
            if message.tool_call_cancellation is not None:
                tools.cancel(message.tool_call_cancellation.ids or [])
            if content is not None and content.turn_complete:
                tools.turn_complete()

    def _can_move(self) -> bool:
        """No answer is being delivered and the handle holds every answered turn (turns sent since
        are replayed on the new connection; their answers on the old one are never read)."""
        return not self._in_answer and self._covered == self._answered and self.resumption_handle is not None

    # -- resumption ----------------------------------------------------------------------------

    async def _recover(self, generation: int, closed: Closed) -> None:
        """The socket of ``generation`` closed: move to a new one (resumable) or end the session.
        Called with the lock held."""
        if self._error is not None:
            raise self._error  # the session already ended (a tool call failed)
        if generation != self._generation:
            return  # another task moved already
        transport_closed = self._client._transport.closed_error(self._endpoint)
        if transport_closed is not None:
            self._fail(transport_closed)
        retryable = closed.code in _RETRYABLE or self._go_away  # after goAway any close is the expected one
        if not self._resumable or not retryable or self.resumption_handle is None:
            self._fail(closed.error)
        live_logger.info("%s: live connection closed (%s); resuming the session", self._endpoint, closed.error)
        await self._move(generation, cut=self._in_answer)

    async def _move(self, generation: int, *, cut: bool) -> None:
        """Open a connection with the latest handle, swap it in, close the old one, replay client
        turns (or end the cut answer with a synthetic interrupted message). Lock held."""
        old = self._sock
        new: Socket | None = None
        error: GenAIError | None = None
        for _ in range(MAX_RESUME_ATTEMPTS):
            try:
                new = await self._open(self.resumption_handle)
                break
            except GenAIError as exc:
                error = exc
                if isinstance(exc, APIError) and exc.code < 500:
                    break  # a refused handle or setup: trying again cannot help
        if old is not None:
            old.abort()  # goAway: the server closes it anyway; a drop: nothing to say goodbye to
        if new is None:
            assert error is not None
            self._fail(error)
        if self._closed:  # close() ran while the new connection was opening
            new.abort()
            self._moved.set()
            raise ConfigurationError(f"{self._endpoint}: the live session was closed while it was resuming")
        self._sock = new
        self._generation = generation + 1
        self.resumptions += 1
        self._go_away = False
        moved, self._moved = self._moved, asyncio.Event()
        try:
            if cut:
                live_logger.warning(
                    "%s: a lost connection cut the answer in progress; it ends as interrupted", self._endpoint
                )
                if self._tools is not None:
                    self._tools.cancel_all()  # their calls belonged to the cut answer
                self._replay.clear()
                self._in_answer = False
                self._pending.append(
                    LiveServerMessage(server_content=LiveServerContent(interrupted=True, turn_complete=True))
                )
            else:
                for _, frame in self._replay:
                    await new.send(frame)
        except Closed as closed:
            self._fail(closed.error)
        finally:
            moved.set()


class Turn:
    """``session.receive()``: an async iterator over the messages of one turn."""

    __slots__ = ("_session", "_done")

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._done = False

    def __aiter__(self) -> Turn:
        return self

    async def __anext__(self) -> LiveServerMessage:
        if self._done:
            raise StopAsyncIteration
        message = await self._session._next()
        content = message.server_content
        if content is not None and content.turn_complete:
            self._done = True
        return message
