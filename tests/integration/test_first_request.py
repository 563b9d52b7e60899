"""The first request of a client: aiohttp is imported in a worker thread, never on the event loop.

The real import takes a few hundred milliseconds, during which a loop that ran it would serve no
other task. Here the import is replaced by one that cannot finish until a task ON THE LOOP lets it:
if it ran on the loop, the loop could not run that task and the request would fail. Over a real
socket, with the server in the same loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest

import genai_async
from genai_async import _codec, _transport, errors, types
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"


class SlowImport:
    """Stands in for ``_transport._load``: counts its calls and waits for the loop to open its gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.threads: list[str] = []

    def __call__(self, prepare: Callable[[], object] | None) -> None:
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        if not self.gate.wait(10):
            raise AssertionError("the loop never ran while aiohttp was being imported")
        _real_load(prepare)


_real_load = _transport._load


@pytest.fixture
def slow_import(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowImport]:
    slow = SlowImport()
    monkeypatch.setattr(_transport, "_load", slow)
    yield slow
    slow.gate.set()  # never leave a worker thread waiting


async def _open_gate_soon(slow: SlowImport, ticks: list[int]) -> None:
    """A task on the loop: it must get to run while the import is in progress."""
    for _ in range(5):
        await asyncio.sleep(0.01)
        ticks.append(1)
    slow.gate.set()


async def test_the_first_request_imports_off_the_loop(server: Scripted, slow_import: SlowImport) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    ticks: list[int] = []
    async with asyncio.timeout(20):
        client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
        try:
            opener = asyncio.create_task(_open_gate_soon(slow_import, ticks))
            response = await client.models.generate_content(model=MODEL, contents="x")
            await opener
        finally:
            await client.aclose()
    assert response.text
    assert ticks == [1] * 5
    assert slow_import.calls == 1
    assert slow_import.threads[0] != threading.main_thread().name


async def test_concurrent_first_requests_share_one_import(server: Scripted, slow_import: SlowImport) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        async with asyncio.timeout(20):
            calls = [asyncio.create_task(client.models.generate_content(model=MODEL, contents="x")) for _ in range(8)]
            await asyncio.sleep(0.05)
            assert not any(call.done() for call in calls)  # all of them wait for the same import
            slow_import.gate.set()
            responses = await asyncio.gather(*calls)
    finally:
        await client.aclose()
    assert all(r.text for r in responses)
    assert slow_import.calls == 1  # however many requests wait for it
    assert client.open_connections == 0


async def test_async_with_opens_the_pool_before_the_first_request(
    server: Scripted, slow_import: SlowImport
) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    slow_import.gate.set()
    async with asyncio.timeout(20):
        async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as client:
            assert slow_import.calls == 1
            assert client._transport._session is not None
            assert server.requests == []  # entering sends nothing
            await client.models.generate_content(model=MODEL, contents="x")
            await client.models.generate_content(model=MODEL, contents="x")
    assert slow_import.calls == 1
    assert len(server.requests) == 2
    assert client.open_connections == 0


async def test_the_worker_thread_also_builds_the_response_decoder(
    server: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_codec, "_decoders", {})  # as in a fresh process
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as client:
        assert types.GenerateContentResponse in _codec._decoders
        built = _codec._decoders[types.GenerateContentResponse]
        assert (await client.models.generate_content(model=MODEL, contents="x")).text
        assert _codec._decoders[types.GenerateContentResponse] is built


async def test_a_request_cancelled_during_the_import_leaves_it_to_the_next(
    server: Scripted, slow_import: SlowImport
) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        async with asyncio.timeout(20):
            first = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
            await asyncio.sleep(0.05)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            assert server.requests == []
            second = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
            await asyncio.sleep(0.01)
            slow_import.gate.set()
            assert (await second).text
    finally:
        await client.aclose()
    assert slow_import.calls == 1
    assert len(server.requests) == 1
    assert client.open_connections == 0


async def test_aclose_during_the_import_fails_the_waiting_request(
    server: Scripted, slow_import: SlowImport
) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    async with asyncio.timeout(20):
        call = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
        await asyncio.sleep(0.05)
        await client.aclose()
        slow_import.gate.set()
        with pytest.raises(errors.GenAIError, match="closed with aclose"):
            await call
    assert server.requests == []
    assert client._transport._session is None
    assert client.open_connections == 0


async def test_a_failed_import_is_raised_to_the_request(server: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(prepare: object) -> None:
        raise ImportError("No module named 'aiohttp' (simulated)")

    monkeypatch.setattr(_transport, "_load", broken)
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        with pytest.raises(ImportError, match="simulated"):
            await client.models.generate_content(model=MODEL, contents="x")
    finally:
        await client.aclose()
    assert server.requests == []
