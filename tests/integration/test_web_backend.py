"""examples/web_backend.py, and the README's web-backend recipe, served by uvicorn on a real socket.

The app talks to the emulator (or, for the browser-leaves case, to a scripted upstream that answers
one chunk and then stays silent). The "browser" is a plain aiohttp client.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import genai_async
from tests.faults.conftest import assert_released

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

EXAMPLE = Path(__file__).parents[2] / "examples" / "web_backend.py"
README = Path(__file__).parents[2] / "README.md"
SOURCES = ["example", "readme"]
CHUNK = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hello"}]}, "index": 0}],
    "responseId": "r1",
}


def load_app(source: str, tmp_path: Path) -> ModuleType:
    """The example's module, or the README's FastAPI block written out as one."""
    path = EXAMPLE
    if source == "readme":
        blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)
        (code,) = [b for b in blocks if "FastAPI(lifespan" in b]
        path = tmp_path / "readme_web_backend.py"
        path.write_text(code)
    spec = importlib.util.spec_from_file_location(f"web_backend_{source}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Served:
    def __init__(self, module: ModuleType, server: Any, url: str) -> None:
        self.module = module
        self.server = server
        self.url = url

    @property
    def client(self) -> genai_async.Client:
        client: genai_async.Client = self.module.app.state.client
        return client

    async def requests_done(self) -> None:
        """Wait until uvicorn has no request task left (each ends when its response ended)."""
        tasks = set(self.server.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=10)
            assert not pending, "a request task of the app never finished"


class _Server(uvicorn.Server):  # type: ignore[misc,name-defined]
    """uvicorn's server, telling when it listens (so the test waits for that, not for a while)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


async def serve(
    upstream_url: str, monkeypatch: pytest.MonkeyPatch, source: str, tmp_path: Path
) -> AsyncIterator[Served]:
    monkeypatch.setenv("GEMINI_API_KEY", "web-test-key")
    monkeypatch.setenv("GENAI_ASYNC_BASE_URL", upstream_url)
    module = load_app(source, tmp_path)
    server = _Server(uvicorn.Config(module.app, lifespan="on", log_level="warning"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            await asyncio.wait_for(server.listening.wait(), 30)  # lifespan ran: the shared client is open
            yield Served(module, server, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await task


@pytest.fixture(params=SOURCES)
async def app(request, gemini_emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[Served]:
    async for served in serve(gemini_emulator.base_url, monkeypatch, request.param, tmp_path):
        yield served
    assert served.client._transport.closed, "the lifespan did not close the shared client"


def sse_events(body: str) -> list[tuple[str, Any]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events


async def test_post_awaits_one_answer(app: Served, gemini_emulator) -> None:
    async with aiohttp.ClientSession() as browser, browser.post(app.url + "/generate", json={"prompt": "Hi"}) as r:
        assert r.status == 200
        body = await r.json()
    async with genai_async.Client(api_key="k", base_url=gemini_emulator.base_url) as direct:
        expected = await direct.models.generate_content(model="gemini-3.5-flash", contents="Hi")
    assert body["text"] == expected.text and body["text"]
    if "total_tokens" in body:  # (the example's answer; the README's shorter one has the text only)
        assert body["total_tokens"] == expected.usage_metadata.total_token_count
    assert gemini_emulator.requests[0].headers["x-goog-api-key"] == "web-test-key"


async def test_get_relays_the_stream_as_sse(app: Served, gemini_emulator) -> None:
    async with aiohttp.ClientSession() as browser, browser.get(app.url + "/stream", params={"prompt": "Hi"}) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        events = sse_events(await r.text())
    async with genai_async.Client(api_key="k", base_url=gemini_emulator.base_url) as direct:
        expected = [
            c.text or ""
            async for c in await direct.models.generate_content_stream(model="gemini-3.5-flash", contents="Hi")
        ]
    assert events[-1] == ("done", {})
    assert [data["text"] for kind, data in events[:-1]] == expected
    assert len(expected) > 1
    await app.requests_done()
    assert_released(app.client, pooled=1)  # the completed stream's connection went back to the pool


async def test_upstream_error_before_the_stream_is_a_status(app: Served, gemini_emulator) -> None:
    gemini_emulator.queue_error(400, message="bad prompt", endpoint="streamGenerateContent")
    async with aiohttp.ClientSession() as browser, browser.get(app.url + "/stream", params={"prompt": "Hi"}) as r:
        assert r.status == 502
        assert "bad prompt" in (await r.json())["error"]


async def test_upstream_error_mid_stream_is_an_sse_error_event(app: Served, gemini_emulator) -> None:
    gemini_emulator.queue_fault("inband_error", after_events=1, endpoint="streamGenerateContent")
    async with aiohttp.ClientSession() as browser, browser.get(app.url + "/stream", params={"prompt": "Hi"}) as r:
        events = sse_events(await r.text())
    assert events[0][0] == "message"
    assert events[-1][0] == "error"
    await app.requests_done()
    assert_released(app.client)


@contextlib.asynccontextmanager
async def silent_upstream() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """Answers one chunk, then is silent until its client goes away (then ``closed`` is set)."""
    closed = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + json.dumps(CHUNK).encode() + b"\r\n\r\n")
        try:
            await asyncio.Event().wait()  # silent: a thinking model, until the client hangs up
        except asyncio.CancelledError:  # aiohttp cancels the handler when the peer closes
            closed.set()
            raise
        return resp

    web_app = web.Application()
    web_app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(web_app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", closed
    finally:
        await runner.cleanup()


async def browser_leaves(monkeypatch: pytest.MonkeyPatch, source: str, tmp_path: Path) -> None:
    """The browser reads the first event and leaves while the model is silent: the upstream stream
    is closed, no connection stays checked out or pooled half-read, no task is left behind."""
    async with silent_upstream() as (url, upstream_closed):
        async for app in serve(url, monkeypatch, source, tmp_path):
            before = asyncio.all_tasks()
            async with aiohttp.ClientSession() as browser:
                r = await browser.get(app.url + "/stream", params={"prompt": "Hi"})
                assert await r.content.readuntil(b"\n\n") == b'data: {"text": "Hello"}\n\n'
                assert app.client.open_connections == 1  # the upstream stream is open, waiting
                r.close()  # the browser leaves while the model is silent
                await asyncio.wait_for(upstream_closed.wait(), 10)
            await app.requests_done()
            assert_released(app.client, pooled=0)  # closed, not parked in the pool half-read
            leftover = {t for t in asyncio.all_tasks() - before if not t.done()} - {asyncio.current_task()}
            assert not leftover, leftover


@pytest.mark.parametrize("source", SOURCES)
async def test_browser_leaving_closes_the_upstream_stream(
    monkeypatch: pytest.MonkeyPatch, source: str, tmp_path: Path
) -> None:
    await browser_leaves(monkeypatch, source, tmp_path)


def test_browser_leaving_closes_the_upstream_stream_under_uvloop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> None:
        assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
        await browser_leaves(monkeypatch, "example", tmp_path)

    uvloop.run(scenario())
