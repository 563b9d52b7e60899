"""Fixtures for the fault suite: servers in their own thread, and the no-leak check.

Why a thread: the leak check counts the tasks of the test's event loop. An aiohttp server in the
same loop owns tasks of its own (one per connection, one per request, timers of the emulator's
pauses), which would hide or fake a leak. Each server here runs in a background thread with its
own loop, so ``asyncio.all_tasks()`` in the test sees only the test's and the client's tasks.

- ``emulator``: the Gemini emulator (``genai_async.emulator.running``), scripted with its own
  ``queue_error`` / ``queue_fault``.
- ``fault_server``: a small aiohttp.web server that plays a list of steps per request (see
  :class:`FaultServer`), for faults the emulator does not script: delayed headers, 10,000 events,
  exact bytes, and the soak test's per-request plans.
- :func:`no_leaks`: after the block, no connection is checked out of the pool, no response is
  live, every ``max_in_flight`` slot is free and no task the block started is still pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async.emulator import Emulator, running

T = TypeVar("T")
MODEL = "gemini-3.5-flash"
PROMPT = "How does AI work?"
STREAM = "streamGenerateContent"
ATTEMPTS = 3
FAST_RETRY: dict[str, float] = {"initial_delay": 0.01, "max_delay": 2.0, "attempts": ATTEMPTS}
Chunks = list[types.GenerateContentResponse]

# --------------------------------------------------------------------------- a loop in a thread


class LoopThread:
    """An event loop running in a daemon thread; coroutines are handed to it and awaited from here."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fault-server", daemon=True)
        self._thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` in the server loop and wait for it without blocking the caller's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        async def drain() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        asyncio.run_coroutine_threadsafe(drain(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@contextlib.asynccontextmanager
async def served(manager: contextlib.AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit an async context manager (a server) inside a fresh loop thread."""
    thread = LoopThread()
    try:
        value = await thread.run(manager.__aenter__())
        try:
            yield value
        finally:
            await thread.run(manager.__aexit__(None, None, None))
    finally:
        thread.stop()


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """The Gemini emulator on 127.0.0.1, served from its own thread."""
    async with served(running()) as emu:
        yield emu


# --------------------------------------------------------------------------- a server that plays steps

Step = tuple[Any, ...]
"""One step of a reply:

- ``("error", status, body: bytes, content_type)``: a whole non-2xx response.
- ``("head",)``: send 200 headers for an SSE body (``write`` does this too when needed).
- ``("write", data: bytes)``: one write to the socket.
- ``("sleep", seconds)``: pause (ends early, dropping the connection, when the server stops).
- ``("hang",)``: send nothing more until the client goes away or the server stops.
- ``("abort",)``: drop the TCP connection with no proper end of body.
A plan that runs out of steps ends the body cleanly (chunked terminator).
"""


class FaultServer:
    """An aiohttp.web server on 127.0.0.1 that answers each request by playing a plan of steps.

    Plans come from :meth:`queue` (first in, first out) or, when ``chooser`` is set, from
    ``chooser(request_json)``: the soak test keys its plans on the prompt text that way. Request
    bodies are kept in ``requests`` unless ``record=False`` (the soak test measures memory).
    """

    def __init__(self, port: int = 0, *, record: bool = True) -> None:
        self.port = port
        self.record = record
        self.plans: deque[Sequence[Step]] = deque()
        self.chooser: Callable[[Any], Sequence[Step]] | None = None
        self.requests: list[Any] = []
        self.written = 0
        """``write`` steps done (their bytes handed to the socket), over all requests."""
        self.base_url = ""
        self._stopping: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    def queue(self, *plans: Sequence[Step]) -> None:
        self.plans.extend(plans)

    async def __aenter__(self) -> FaultServer:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._stopping is not None and self._runner is not None
        self._stopping.set()
        await self._runner.cleanup()

    async def _pause(self, seconds: float) -> bool:
        """Sleep; True when the server is stopping meanwhile."""
        assert self._stopping is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        if self.record:
            self.requests.append(body)
        plan = self.chooser(body) if self.chooser is not None else self.plans.popleft()
        resp: web.StreamResponse | None = None
        try:
            for step in plan:
                kind = step[0]
                if kind == "error":
                    _, status, payload, content_type = step
                    return web.Response(status=status, body=payload, content_type=content_type)
                if kind == "sleep" and await self._pause(step[1]):
                    return _drop(request, resp)
                if kind == "hang":
                    while not self._stopping.is_set():  # type: ignore[union-attr]
                        if request.transport is None or request.transport.is_closing():
                            break
                        await self._pause(0.02)
                    return _drop(request, resp)
                if kind == "abort":
                    return _drop(request, resp)
                if kind in ("head", "write") and resp is None:
                    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
                    await resp.prepare(request)
                if kind == "write":
                    assert resp is not None
                    await resp.write(step[1])
                    self.written += 1
            if resp is None:
                resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
                await resp.prepare(request)
            await resp.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client went away first; that is what some tests do
        return resp if resp is not None else web.Response()


def _drop(request: web.Request, resp: web.StreamResponse | None) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.abort()
    return resp if resp is not None and resp.prepared else web.Response()


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    async with served(FaultServer()) as server:
        yield server


# --------------------------------------------------------------------------- wire helpers


def sse(obj: Any) -> bytes:
    """One SSE event the way Gemini frames it: ``data: <one-line JSON>`` and a blank line, CRLF."""
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\r\n\r\n"


def text_events(texts: Sequence[str], *, response_id: str = "r-1", finish: str | None = "STOP") -> list[bytes]:
    """One event per text, the last one with ``finish`` (None: no finishReason at all)."""
    out = []
    for i, text in enumerate(texts):
        cand: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if finish is not None and i == len(texts) - 1:
            cand["finishReason"] = finish
        out.append(sse({"candidates": [cand], "responseId": response_id}))
    return out


def ok_plan(texts: Sequence[str], **kw: Any) -> list[Step]:
    return [("head",)] + [("write", e) for e in text_events(texts, **kw)]


def error_plan(code: int, status: str, message: str = "overloaded", details: list[Any] | None = None) -> list[Step]:
    envelope: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        envelope["details"] = details
    return [("error", code, json.dumps({"error": envelope}).encode(), "application/json")]


def new_client(base_url: str, **kw: Any) -> genai_async.Client:
    kw.setdefault("retry", FAST_RETRY)
    return genai_async.Client(api_key="test-key", base_url=base_url, **kw)


def open_stream(client: genai_async.Client, prompt: str = PROMPT) -> genai_async.ResponseStream:
    return client.models.generate_content_stream(model=MODEL, contents=prompt)


async def collect(client: genai_async.Client, prompt: str = PROMPT) -> tuple[Chunks, errors.GenAIError | None]:
    """Every chunk the stream yielded, and the error that ended it (None when it completed)."""
    got: Chunks = []
    try:
        async for chunk in open_stream(client, prompt):
            got.append(chunk)
    except errors.GenAIError as exc:
        return got, exc
    return got, None


def joined(chunks: Sequence[types.GenerateContentResponse]) -> str:
    return "".join(c.text or "" for c in chunks)


# --------------------------------------------------------------------------- leak checks


def checked_out(client: genai_async.Client) -> int:
    """Connections taken from the pool and not given back (the pool's idle ones are not counted)."""
    session = client._transport._session
    if session is None or session.closed or session.connector is None:
        return 0
    return len(session.connector._acquired)


def assert_released(client: genai_async.Client, *, pooled: int | None = None) -> None:
    """Nothing checked out, no response live, every in-flight slot free; ``pooled`` idle connections."""
    assert checked_out(client) == 0, "a connection is still checked out of the pool"
    assert not list(client._transport._live), "a response was never closed or released"
    slots = client._limiter._slots
    if slots is not None:
        assert not slots.locked() and not slots._waiters, "a max_in_flight slot was not given back"
    if pooled is not None:
        assert client.open_connections == pooled


@contextlib.asynccontextmanager
async def no_leaks(client: genai_async.Client, *, pooled: int | None = None) -> AsyncIterator[None]:
    """Check, after the block, that it released everything and left no task of its own behind."""
    before = asyncio.all_tasks()
    yield
    for _ in range(3):  # let close callbacks scheduled by the block run
        await asyncio.sleep(0)
    gc.collect()
    assert_released(client, pooled=pooled)
    leftover = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert not leftover, f"tasks left behind: {leftover}"


async def assert_usable(client: genai_async.Client, check: Callable[[], Awaitable[None]]) -> None:
    """The client still serves a request after the fault; ``check`` runs it and asserts its result."""
    async with no_leaks(client):
        await check()
