"""Python-callable tools in a live session: the ``toolCall`` messages the session answers itself.

The calls run through automatic function calling's own code (``_afc.Toolbox``: argument conversion,
``{"result": ...}`` or ``{"error": ...}``, ``call_timeout``, sync functions in worker threads, MCP
sessions); this module only decides which calls to take, owns their tasks and sends the answer.

Rules (README, "Live API"):
- A ``toolCall`` is answered automatically when every call in it names a function or MCP tool given
  in ``config.tools`` and automatic function calling is not disabled; otherwise the whole message is
  left to the caller (``send_tool_response``), as ``generate_content`` returns such an answer.
- The calls of one ``toolCall`` run concurrently, each in its own task; when all have finished, one
  ``toolResponse`` goes out with their responses in call order, each echoing its call's ``id`` (never
  invented). The caller still sees the ``tool_call`` message in ``receive()``.
- ``toolCallCancellation`` cancels the calls with those ids and leaves their responses out (nothing
  is sent when no call is left). A connection lost mid-answer (the turn ends as interrupted) cancels
  every running call.
- ``maximum_remote_calls`` caps the automatic tool responses of one turn at one less than it (the
  requests of ``generate_content``: the prompt is the first); later tool calls in that turn are left
  to the caller.
- Closing the session cancels every running call and waits for its task. A sync function cannot be
  stopped: its worker thread is abandoned and runs it to the end (its result is dropped).
- ``send_tool_response`` for a call the session took raises ``ConfigurationError`` (two answers to
  one call would confuse the model).
- A function's ``Exception`` is the model's ``{"error": ...}``; anything else escaping a call (a
  ``BaseException`` that is not an ``Exception``) ends the session with it: ``on_failure`` wakes the
  receiver, which raises it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ._afc import Toolbox
from ._options import live_logger
from .errors import ConfigurationError, GenAIError
from .types import Content, FunctionCall, FunctionResponse

REMEMBERED = 1024
"""Ids of calls answered automatically that are remembered (to refuse a second, manual answer)."""


class LiveTools:
    """The session's automatic tool calls: started from ``receive()``, owned until ``aclose()``."""

    __slots__ = ("_box", "_send", "_on_failure", "_running", "_answered", "_tasks", "_rounds")

    def __init__(
        self,
        box: Toolbox,
        send: Callable[[list[FunctionResponse]], Awaitable[None]],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self._box = box
        self._send = send
        self._on_failure = on_failure
        self._running: dict[str, asyncio.Task[Content]] = {}  # call id -> its task
        self._answered: dict[str, None] = {}  # ids taken, oldest first (bounded)
        self._tasks: set[asyncio.Task[Any]] = set()  # every call and batch task not finished
        self._rounds = 0  # tool calls answered automatically in this turn

    @property
    def running(self) -> int:
        """Calls started and not finished."""
        return sum(1 for task in self._running.values() if not task.done())

    def take(self, calls: list[FunctionCall]) -> bool:
        """Start answering one ``toolCall``; False when it is left to the caller."""
        if not calls or not self._box.handles(calls) or self._rounds + 1 >= self._box.max_requests:
            return False
        self._rounds += 1
        tasks = [self._own(asyncio.create_task(self._box.run([call]), name=f"live tool {call.name}")) for call in calls]
        for call, task in zip(calls, tasks, strict=True):
            if call.id:
                self._running[call.id] = task
                self._answered[call.id] = None
        while len(self._answered) > REMEMBERED:
            del self._answered[next(iter(self._answered))]
        batch = self._own(asyncio.create_task(self._answer(calls, tasks), name="live tool response"))
        batch.add_done_callback(self._batch_done)
        return True

    def cancel(self, ids: list[str]) -> None:
        """``toolCallCancellation``: stop those calls; their responses are not sent."""
        for call_id in ids:
            task = self._running.pop(call_id, None)
            if task is not None:
                task.cancel()

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._running.clear()

    def turn_complete(self) -> None:
        self._rounds = 0

    def check_manual(self, responses: list[FunctionResponse]) -> None:
        """Refuse a caller's answer to a call the session answers (or answered) itself."""
        taken = [r.id for r in responses if r.id in self._answered]
        if taken:
            raise ConfigurationError(
                f"send_tool_response: the call(s) {', '.join(map(repr, taken))} are answered by the session itself "
                "(the functions in config.tools run automatically); do not answer them, or pass "
                "automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True) "
                "to answer every call yourself"
            )

    async def aclose(self) -> None:
        """Cancel every running call and wait for the tasks to end."""
        self.cancel_all()
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    def _own(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _answer(self, calls: list[FunctionCall], tasks: list[asyncio.Task[Content]]) -> None:
        try:
            await asyncio.wait(tasks)
        finally:
            for task in tasks:
                task.cancel()  # only when this batch was cancelled: its calls go with it
            for call in calls:
                if call.id and self._running.get(call.id) in tasks:
                    del self._running[call.id]
        responses = [_response(task) for task in tasks if not task.cancelled()]
        if not responses:
            return
        try:
            await self._send(responses)
        except GenAIError as exc:  # the session ended or closed: receive() reports that, not us
            live_logger.debug("the live tool response was not sent: %s", exc)

    def _batch_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            live_logger.error("a live tool call failed unexpectedly: %r; the session ends with it", exc)
            self._on_failure(exc)


def _response(task: asyncio.Task[Content]) -> FunctionResponse:
    parts = task.result().parts or []
    response = parts[0].function_response
    assert response is not None
    return response
