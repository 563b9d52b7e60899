"""The stream of an answer with automatic function calling: one ``ResponseStream`` per request
(round), chained. Same surface as ``ResponseStream``: ``await`` it, ``async for`` over it,
``async with`` it, read ``.response``.

Decisions:
- Iteration yields the chunks of every round in order (the function-call chunks too, as the
  official SDK does); between rounds the functions run inside ``__anext__``, so cancelling the
  reader cancels them. From the second round on each chunk carries
  ``automatic_function_calling_history`` (the official SDK's behaviour).
- ``.response`` is the stitched answer of the current round; after the end, the final answer with
  ``automatic_function_calling_history`` set.
- Only one round's connection is open at a time; ``aclose()`` closes it and is idempotent.
  ``aclose()`` from another task while the functions of a round run cancels them (they run in a
  task of their own for that) and the waiting reader gets the ``StreamError`` a plain stream
  gives when it is closed while it waits; no further request is sent.
- Hooks for chats: ``on_complete(final, rounds)`` when the answer ended; ``on_close(completed,
  stopped_turns)`` exactly once, where ``stopped_turns`` (caller stopped early after output) holds
  the finished rounds plus the model output delivered in the current one, trimmed so it ends with
  a model turn that calls nothing; None when completed, failed or cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

import msgspec

from ._afc import Toolbox, calls_of, prepare
from ._coerce import generate_request
from ._resources._history import model_turn
from ._streaming import _CLOSED, _FAILED, _FINAL, _FINISHED, _OPENING, ResponseStream, _State
from .errors import StreamError
from .types import Content, GenerateContentConfig, GenerateContentRequest, GenerateContentResponse

if TYPE_CHECKING:
    from ._resources.models import Models

OnComplete = Callable[[GenerateContentResponse, list[Content]], Any]
OnClose = Callable[[bool, "list[Content] | None"], Any]


class ToolStream(ResponseStream):
    """A streamed answer whose function calls are made for the model (see module docstring).

    A ``ResponseStream`` to its users (same methods, ``isinstance`` holds); it reuses none of the
    parent's reading machinery, only its interface.
    """

    __slots__ = (
        "_box",
        "_contents",
        "_count",
        "_history",
        "_hook",
        "_inner",
        "_model",
        "_models",
        "_on_complete",
        "_cfg",
        "_request",
        "_rounds",
        "_sent",
        "_tools",
        "_turns",
        "_wire",
    )

    def __init__(
        self,
        models: Models,
        model: str,
        cfg: GenerateContentConfig,
        contents: Callable[[], Awaitable[Any]],
        *,
        on_complete: OnComplete | None = None,
        on_close: OnClose | None = None,
    ) -> None:
        self._models = models
        self._model = model
        self._cfg = cfg
        self._contents = contents
        self._on_complete = on_complete
        self._on_close = None  # the parent's hook slot stays unused
        self._endpoint = f"{model} (automatic function calling)"  # for repr()
        self._hook = on_close
        self._wire: GenerateContentConfig | None = None
        self._box: Toolbox | None = None
        self._request: GenerateContentRequest | None = None
        self._inner: ResponseStream | None = None
        self._turns: list[Content] = []
        self._rounds: list[Content] = []
        self._history: list[Content] | None = None
        """What chunks of the current round carry as automatic_function_calling_history (one list per round)."""
        self._final: GenerateContentResponse | None = None
        self._tools: asyncio.Future[Content] | None = None
        """The task running the current round's functions (cancelled by ``aclose``)."""
        self._sent = 0
        self._count = 0
        self._state = _OPENING  # only the final states matter here (FINISHED, FAILED, CLOSED); rounds: _inner

    # ------------------------------------------------------------------ opening and closing

    def __await__(self) -> Generator[Any, None, ToolStream]:
        return self._open().__await__()

    async def __aenter__(self) -> ToolStream:
        return await self._open()

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        # an exception (a cancellation too) that left the block is a failure, not a stop
        self._close(_CLOSED if exc_type is None else _FAILED)

    async def _open(self) -> ToolStream:
        try:
            if self._inner is None and self._state not in _FINAL:
                self._wire, self._box = await prepare(self._cfg)
                self._request = generate_request(await self._contents(), self._wire)
                self._turns = self._request.contents or []
                self._start_round()
            if self._inner is not None:
                await self._inner
        except BaseException:
            self._fail()
            raise
        return self

    def _start_round(self) -> None:
        assert self._request is not None
        self._inner = self._models._stream_request(self._model, self._wire, self._request)
        self._sent += 1

    async def aclose(self) -> None:
        """Stop reading and release the connection; safe to call any number of times."""
        self._close(_CLOSED)

    def _close(self, state: _State) -> None:
        """Enter the final ``state`` (unless in one already), cancel the round's functions, close
        the current round's stream, and call the close hook once."""
        if self._state not in _FINAL:
            self._state = state
        tools, self._tools = self._tools, None
        if tools is not None:
            tools.cancel()
        inner, self._inner = self._inner, None
        if inner is not None:
            self._inner = inner  # kept for .response; its connection is released now
            inner._close(_CLOSED)
        hook, self._hook = self._hook, None
        if hook is not None:
            state = self._state
            hook(state is _FINISHED, self._stopped_turns() if state is _CLOSED else None)

    def _fail(self) -> None:  # type: ignore[override]
        self._close(_FAILED)

    def __del__(self) -> None:
        if getattr(self, "_hook", None) is not None:
            self._close(_CLOSED)

    def _stopped_turns(self) -> list[Content] | None:
        turns = list(self._rounds)
        inner = self._inner
        if inner is not None and inner.chunk_count:
            turns.append(model_turn(inner.response))
        while turns and (turns[-1].role != "model" or _calls_in(turns[-1]) or not turns[-1].parts):
            turns.pop()
        return turns or None

    # ------------------------------------------------------------------ results

    @property
    def response(self) -> GenerateContentResponse:
        """The final answer once the stream ended; before that the current round's partial answer."""
        if self._final is not None:
            return self._final
        return self._inner.response if self._inner is not None else GenerateContentResponse()

    @property
    def chunk_count(self) -> int:
        """How many chunks were delivered so far, over all rounds."""
        return self._count

    # ------------------------------------------------------------------ iteration

    def __aiter__(self) -> ToolStream:
        return self

    async def __anext__(self) -> GenerateContentResponse:
        while True:
            if self._state in _FINAL:
                raise StopAsyncIteration
            if self._inner is None:
                await self._open()
                continue
            try:
                chunk = await self._inner.__anext__()
            except StopAsyncIteration:
                if self._state in _FINAL:
                    raise
                try:
                    if await self._next_round():
                        continue
                except BaseException:
                    self._fail()
                    raise
                raise
            except BaseException:
                self._fail()
                raise
            self._count += 1
            if self._history is not None:
                chunk.automatic_function_calling_history = self._history
            return chunk

    async def _next_round(self) -> bool:
        """After a round: run its calls and start the next one (True), or finish (False)."""
        assert self._inner is not None and self._request is not None
        response = self._inner.response
        box = self._box
        calls = calls_of(response)
        if box is not None and calls and self._sent < box.max_requests and box.handles(calls):
            reply = await self._run_tools(box, calls)
            self._rounds += (model_turn(response), reply)
            self._request = msgspec.structs.replace(self._request, contents=[*self._turns, *self._rounds])
            if box.keep_history:
                self._history = [*self._turns, *self._rounds]
            self._start_round()
            return True
        if box is not None and box.keep_history:
            response.automatic_function_calling_history = [*self._turns, *self._rounds] if self._rounds else []
        self._final = response
        self._state = _FINISHED  # (before the hook: a hook that raises still leaves a finished stream)
        if self._on_complete is not None:
            self._on_complete(response, self._rounds)
        self._close(_FINISHED)
        return False

    async def _run_tools(self, box: Toolbox, calls: list[Any]) -> Content:
        """Run one round's functions in a task ``aclose`` can cancel (cancelling the reader cancels
        it too: awaiting a task passes the cancellation on)."""
        task = self._tools = asyncio.ensure_future(box.run(calls))
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            cancelling = getattr(current, "cancelling", None)  # Python 3.11+
            if self._state in _FINAL and task.cancelled() and not (cancelling is not None and cancelling()):
                raise StreamError(
                    f"{self._model}: the stream was closed with aclose() while its functions ran "
                    f"(round {self._sent}, after {self._count} chunks); they were cancelled"
                ) from None
            raise
        finally:
            self._tools = None


def _calls_in(content: Content) -> bool:
    return any(p.function_call is not None for p in content.parts or ())
