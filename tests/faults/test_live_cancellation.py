"""Cancellation of a live session at every await point: no socket, connection or task left behind.

The await points of a session: connecting (the upgrade), waiting for ``setupComplete``, a send
waiting for the network, a send waiting for another send, ``receive()`` waiting mid-turn and for a
tool-call continuation, a resumption in progress, and the close handshake. Each test parks the task
at one of them with a server that does not answer there, cancels it, and checks the client. Servers
run in their own thread (``served``), so ``asyncio.all_tasks()`` sees only the client's tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import types
from genai_async.emulator import Emulator
from tests.waiting import wait_until

from .conftest import checked_out, no_leaks, served

MODEL = "gemini-live-2.5-flash-preview"
Behaviour = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


class WsServer:
    """A WebSocket server whose per-connection behaviour each test sets (``behaviour(request, n)``)."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self.open = 0
        self.base_url = ""
        self.release = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.connections += 1
        self.open += 1
        try:
            return await self.behaviour(request, self.connections)
        finally:
            self.open -= 1

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[WsServer]:
        self.release = asyncio.Event()  # in the server's loop
        self.loop = asyncio.get_running_loop()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        try:
            yield self
        finally:
            self.release.set()
            await runner.cleanup()


async def setup_then(
    request: web.Request, then: Callable[[web.WebSocketResponse], Awaitable[None]]
) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.receive()
    await ws.send_str('{"setupComplete": {}}')
    await then(ws)
    return ws


async def cancel_when_parked(
    task: asyncio.Task[Any], parked: Callable[[], bool], then: Callable[[], None] | None = None
) -> None:
    """Cancel ``task`` once ``parked()`` holds; ``then()`` runs right after the cancel is requested."""
    await wait_until(parked)
    for _ in range(5):  # let the task settle into the await it reached
        await asyncio.sleep(0)
    assert not task.done(), task
    task.cancel()
    if then is not None:
        then()
    with pytest.raises(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def ws_client(behaviour: Behaviour, **kw: Any) -> AsyncIterator[tuple[WsServer, genai_async.Client]]:
    server = WsServer(behaviour)
    async with served(server.run()):
        async with genai_async.Client(api_key="k", base_url=server.base_url, **kw) as client:
            yield server, client


async def test_cancel_while_upgrading() -> None:
    async def never_upgrades(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.Event().wait()
        raise AssertionError

    async with ws_client(never_upgrades) as (server, client):
        async with no_leaks(client):
            task = asyncio.ensure_future(client.live.connect(model=MODEL).__aenter__())
            await cancel_when_parked(task, lambda: server.connections == 1)
        await wait_until(lambda: server.open == 0)


async def test_cancel_while_waiting_for_setup_complete() -> None:
    async def mute(request: web.Request, n: int) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    async with ws_client(mute) as (server, client):
        async with no_leaks(client):

            async def enter() -> None:
                async with client.live.connect(model=MODEL):
                    raise AssertionError("setupComplete never comes")

            task = asyncio.ensure_future(enter())
            await cancel_when_parked(task, lambda: server.connections == 1)
        await wait_until(lambda: server.open == 0)
        assert checked_out(client) == 0


async def test_cancel_while_send_waits_for_the_network_and_for_another_send() -> None:
    transports: list[Any] = []

    async def stalled(request: web.Request, n: int) -> web.StreamResponse:
        async def stall(ws: web.WebSocketResponse) -> None:
            transports.append(request.transport)
            request.transport.pause_reading()  # type: ignore[union-attr]
            await server_release(ws)

        return await setup_then(request, stall)

    async def server_release(ws: web.WebSocketResponse) -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:  # ends when the client's close frame arrives
                pass

    async with ws_client(stalled) as (server, client):
        async with no_leaks(client):
            sent = 0

            async def session_run() -> None:
                nonlocal sent
                async with client.live.connect(model=MODEL) as session:
                    chunk = types.Blob(data=b"\x01" * 64000, mime_type="audio/pcm;rate=16000")
                    second = asyncio.ensure_future(session.send_realtime_input(text="waits for the lock"))
                    try:
                        while True:
                            await session.send_realtime_input(audio=chunk)
                            sent += 1
                    finally:
                        second.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await second

            task = asyncio.ensure_future(session_run())
            last = -1

            def parked() -> bool:
                nonlocal last
                stuck, last = sent == last and sent > 0, sent
                return stuck

            def read_again() -> None:  # once the send is cancelled: the close handshake can complete
                assert server.loop is not None
                server.loop.call_soon_threadsafe(transports[0].resume_reading)

            await cancel_when_parked(task, parked, then=read_again)
        await wait_until(lambda: server.open == 0)
        # (a close whose handshake never completes: test_cancel_during_the_close_handshake)


async def test_cancel_while_receiving_mid_turn_and_mid_tool_call(emulator: Emulator) -> None:
    emulator.tokens_per_second = 0.5  # the second chunk is far away
    tools = [
        types.Tool(function_declarations=[types.FunctionDeclaration(name="get_time", description="Current UTC time.")])
    ]
    async with genai_async.Client(api_key="k", base_url=emulator.base_url) as client:
        for prompt in ("Tell me about Paris", "What time is it?"):
            got: list[types.LiveServerMessage] = []
            async with no_leaks(client):

                async def session_run(prompt: str = prompt, got: list[Any] = got) -> None:
                    async with client.live.connect(model=MODEL, config={"tools": tools}) as session:
                        await session.send_client_content(turns=prompt, turn_complete=True)
                        async for message in session.receive():  # the tool call is never answered
                            got.append(message)

                task = asyncio.ensure_future(session_run())
                await cancel_when_parked(task, got.__len__)
            await wait_until(lambda: not emulator.live._sockets)
        assert got[0].tool_call is not None


async def test_cancel_while_the_session_runs_tools(emulator: Emulator) -> None:
    """Python-callable tools running for the model (an async one parked, a sync one in its worker
    thread) are cancelled with the task that holds the session; no task is left."""
    started: list[str] = []
    cancelled: list[str] = []
    release = threading.Event()

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        started.append("get_time")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("get_time")
            raise
        return "unreachable"

    def get_weather(city: str) -> str:
        """Get the weather in a city."""
        started.append("get_weather")
        release.wait(10)
        return "late"

    async with genai_async.Client(api_key="k", base_url=emulator.base_url) as client:
        async with no_leaks(client):

            async def session_run() -> None:
                config = {"tools": [get_time, get_weather]}
                async with client.live.connect(model=MODEL, config=config) as session:
                    await session.send_client_content(turns="Call get_time and get_weather in Bern", turn_complete=True)
                    async for _ in session.receive():  # parked: the tools never finish
                        pass

            task = asyncio.ensure_future(session_run())
            await cancel_when_parked(task, lambda: len(started) == 2)
        await wait_until(lambda: not emulator.live._sockets)
    assert cancelled == ["get_time"]
    assert not [f for f in emulator.live.frames if "toolResponse" in f]
    release.set()  # the abandoned thread finishes the sync function; its result is dropped


async def test_cancel_while_resuming() -> None:
    async def first_drops_then_mute(request: web.Request, n: int) -> web.StreamResponse:
        if n == 1:

            async def handle_then_drop(ws: web.WebSocketResponse) -> None:
                await ws.send_str('{"sessionResumptionUpdate": {"newHandle": "h1", "resumable": true}}')
                request.transport.close()  # type: ignore[union-attr]

            return await setup_then(request, handle_then_drop)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:  # the resumed setup is never answered
            pass
        return ws

    async with ws_client(first_drops_then_mute) as (server, client):
        async with no_leaks(client):

            async def session_run() -> None:
                config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
                async with client.live.connect(model=MODEL, config=config) as session:
                    async for _ in session.receive():
                        pass

            task = asyncio.ensure_future(session_run())
            await cancel_when_parked(task, lambda: server.connections == 2)
        await wait_until(lambda: server.open == 0)


async def test_cancel_during_the_close_handshake() -> None:
    async def never_acks_close(request: web.Request, n: int) -> web.StreamResponse:
        async def ignore(ws: web.WebSocketResponse) -> None:
            request.transport.pause_reading()  # type: ignore[union-attr]
            await server.release.wait()  # until the server stops
            request.transport.resume_reading()  # type: ignore[union-attr]

        return await setup_then(request, ignore)

    async with ws_client(never_acks_close) as (server, client):
        async with no_leaks(client):
            entered = asyncio.Event()

            async def session_run() -> None:
                async with client.live.connect(model=MODEL):
                    entered.set()
                # __aexit__ waits for a close frame that never comes

            task = asyncio.ensure_future(session_run())
            await cancel_when_parked(task, entered.is_set)
            assert checked_out(client) == 0


async def test_client_aclose_ends_a_session_parked_in_receive(emulator: Emulator) -> None:
    client = genai_async.Client(api_key="k", base_url=emulator.base_url)
    async with client.live.connect(model=MODEL) as session:
        receiving = asyncio.ensure_future(session.receive().__anext__())
        for _ in range(5):
            await asyncio.sleep(0)
        await client.aclose()
        with pytest.raises(genai_async.GenAIError):
            await receiving
    await wait_until(lambda: not emulator.live._sockets)
