"""Shared test helpers: fixture files and a scripted aiohttp.web server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real key or base URL by accident."""
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GENAI_ASYNC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- one local Ray for the --ray tests


def _uses_ray(item: pytest.Item | None) -> bool:
    return item is not None and "local_ray" in getattr(item, "fixturenames", ())


@pytest.fixture
def local_ray() -> Iterator[None]:
    """A local Ray instance (2 CPUs), started by the first test that asks for it and shared with the next
    ones; stopped after the last (``pytest_runtest_teardown`` below). The tests that use it run one after
    another (``pytest_collection_modifyitems``), so Ray starts once per session instead of once per module."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests that use ``local_ray`` next to the first of them (the rest keep their order)."""
    ray_items = [item for item in items if _uses_ray(item)]
    if len(ray_items) > 1:
        first = items.index(ray_items[0])
        rest = [item for item in items if not _uses_ray(item)]
        items[:] = rest[:first] + ray_items + rest[first:]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if _uses_ray(item) and not _uses_ray(nextitem):
        import ray

        ray.shutdown()


# --------------------------------------------------------------------------- pytest-xdist: files that share a worker

#: With ``pytest -n auto --dist loadfile`` the suite runs on pytest-xdist workers, a test file at a time
#: (the default run is serial: see pyproject's addopts): module fixtures are set up once. These files also share session state, so each group goes
#: to one worker as a unit: both ``local_ray`` tests (one Ray start). A renamed file only loses the grouping.
_SAME_WORKER = {"tests/bench/test_ray.py": "ray", "tests/bulk/test_ray_run.py": "ray"}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown to pytest without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None  # another --dist given on the command line: xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class FilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return _SAME_WORKER.get(path, path)

    return FilesTogether(config, log)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scripted:
    """An aiohttp.web server whose handler each test sets; records every request it gets."""

    def __init__(self) -> None:
        self.handler: Handler | None = None
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""
        self.connections = 0

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "url": str(request.url),
                "headers": dict(request.headers),
                "body": body,
                "json": json.loads(body) if body and request.content_type == "application/json" else None,
            }
        )
        assert self.handler is not None, "test did not set server.handler"
        return await self.handler(request)

    def reply_json(self, payload: Any, status: int = 200) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.json_response(payload, status=status)

        self.handler = handler

    def reply_fixture(self, name: str, status: int) -> None:
        """Answer with the bytes of ``tests/fixtures/<name>`` as a JSON body with ``status``."""

        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(body=fixture_bytes(name), status=status, content_type="application/json")

        self.handler = handler

    def reply_stream(self, pieces: list[bytes], *, pause: float = 0.0, status: int = 200, abort: bool = False) -> None:
        """Write ``pieces`` one write each (with ``pause`` between); ``abort`` drops the connection."""

        async def handler(request: web.Request) -> web.StreamResponse:
            resp = web.StreamResponse(status=status, headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            for piece in pieces:
                await resp.write(piece)
                if pause:
                    await asyncio.sleep(pause)
            if abort:
                assert request.transport is not None
                request.transport.abort()
                return resp
            await resp.write_eof()
            return resp

        self.handler = handler


@pytest.fixture
async def server() -> AsyncIterator[Scripted]:
    scripted = Scripted()
    app = web.Application(client_max_size=64 * 1024 * 1024)  # large request bodies (inline images)
    app.router.add_route("*", "/{tail:.*}", scripted.dispatch)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scripted.base_url = f"http://127.0.0.1:{port}"
    try:
        yield scripted
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(server: Scripted) -> AsyncIterator[Any]:
    import genai_async

    c = genai_async.Client(api_key="test-key-123", base_url=server.base_url, retry=False)  # retries: test_retry.py
    try:
        yield c
    finally:
        await c.aclose()
