"""The first request of a client: aiohttp is imported in a worker thread, never on the event loop.

The real import takes a few hundred milliseconds, during which a loop that ran it would serve no
other task. Here the import is replaced by one that cannot finish until a task ON THE LOOP lets it:
if it ran on the loop, the loop could not run that task and the request would fail. Over a real
socket, with the server in the same loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
from collections.abc import Callable, Iterator

import pytest

import genai_async
from genai_async import _client, _codec, _preload, errors, types
from tests.conftest import Scripted, fixture_json
from tests.waiting import parked, wait_until

MODEL = "gemini-3.5-flash"


class SlowImport:
    """Stands in for ``_preload.load``: counts its calls and waits for the loop to open its gate."""

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


_real_load = _preload.load


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process where no client has loaded aiohttp yet (the flag is restored afterwards)."""
    monkeypatch.setattr(_preload, "loaded", False)


@pytest.fixture
def slow_import(monkeypatch: pytest.MonkeyPatch, fresh_process: None) -> Iterator[SlowImport]:
    slow = SlowImport()
    monkeypatch.setattr(_preload, "load", slow)
    yield slow
    slow.gate.set()  # never leave a worker thread waiting


async def _open_gate_soon(slow: SlowImport) -> None:
    """A task on the loop: it must get to run while the import is in progress."""
    await wait_until(lambda: slow.calls == 1)
    slow.gate.set()


async def _cancel_a_waiting_request(client: genai_async.Client) -> None:
    """Send a request, let it wait for the import, cancel it."""
    first = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
    await parked(first)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_the_first_request_imports_off_the_loop(server: Scripted, slow_import: SlowImport) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    async with asyncio.timeout(20):
        client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
        try:
            opener = asyncio.create_task(_open_gate_soon(slow_import))
            # Only the loop can open the gate: the request completes only if the import left the loop free.
            response = await client.models.generate_content(model=MODEL, contents="x")
            await opener
        finally:
            await client.aclose()
    assert response.text
    assert slow_import.calls == 1
    assert slow_import.threads[0] != threading.main_thread().name


async def test_concurrent_first_requests_share_one_import(server: Scripted, slow_import: SlowImport) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        async with asyncio.timeout(20):
            calls = [asyncio.create_task(client.models.generate_content(model=MODEL, contents="x")) for _ in range(8)]
            for call in calls:
                await parked(call)  # all of them wait for the same import
            slow_import.gate.set()
            responses = await asyncio.gather(*calls)
    finally:
        await client.aclose()
    assert all(r.text for r in responses)
    assert slow_import.calls == 1  # however many requests wait for it
    assert client.open_connections == 0


async def test_async_with_opens_the_pool_before_the_first_request(server: Scripted, slow_import: SlowImport) -> None:
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
    server: Scripted, monkeypatch: pytest.MonkeyPatch, fresh_process: None
) -> None:
    monkeypatch.setattr(_codec, "_decoders", {})  # as in a fresh process
    built_in: list[str] = []

    def prepare() -> None:
        built_in.append(threading.current_thread().name)
        real_prepare()

    real_prepare = _client._prepare
    monkeypatch.setattr(_client, "_prepare", prepare)
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as client:
        assert built_in and built_in[0] != threading.main_thread().name
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
            await _cancel_a_waiting_request(client)
            assert server.requests == []
            second = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
            await parked(second)
            slow_import.gate.set()
            assert (await second).text
    finally:
        await client.aclose()
    assert slow_import.calls == 1
    assert len(server.requests) == 1
    assert client.open_connections == 0


async def test_aclose_during_the_import_fails_the_waiting_request(server: Scripted, slow_import: SlowImport) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    async with asyncio.timeout(20):
        call = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
        await parked(call)
        await client.aclose()
        slow_import.gate.set()
        with pytest.raises(errors.GenAIError, match="closed with aclose"):
            await call
    assert server.requests == []
    assert client._transport._session is None
    assert client.open_connections == 0


async def test_a_failed_import_is_raised_and_the_next_request_tries_again(
    server: Scripted, monkeypatch: pytest.MonkeyPatch, fresh_process: None
) -> None:
    calls: list[str] = []

    def fails_once(prepare: Callable[[], object] | None) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise ImportError("No module named 'aiohttp' (simulated)")
        _real_load(prepare)

    monkeypatch.setattr(_preload, "load", fails_once)
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        with pytest.raises(ImportError, match="simulated"):
            await client.models.generate_content(model=MODEL, contents="x")
        assert server.requests == []
        assert (await client.models.generate_content(model=MODEL, contents="x")).text
    finally:
        await client.aclose()
    assert len(calls) == 2  # tried again, and again off the loop
    assert threading.main_thread().name not in calls
    assert len(server.requests) == 1


async def test_a_failed_import_nobody_waits_for_any_more_is_not_reported_as_unretrieved(
    server: Scripted, slow_import: SlowImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))

    def fails(prepare: object) -> None:
        slow_import.gate.wait(10)
        raise ImportError("simulated")

    monkeypatch.setattr(_preload, "load", fails)
    server.reply_json(fixture_json("generate_text.json"))
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        async with asyncio.timeout(20):
            await _cancel_a_waiting_request(client)  # the only waiter goes away before the import fails
            loading = client._transport._loading
            assert loading is not None
            slow_import.gate.set()
            await asyncio.wait([loading])  # waits without retrieving its exception
            assert client._transport._loading is None  # the failure is taken in: the next request retries
            del loading
            gc.collect()
            monkeypatch.setattr(_preload, "load", _real_load)
            assert (await client.models.generate_content(model=MODEL, contents="x")).text
    finally:
        await client.aclose()
        asyncio.get_running_loop().set_exception_handler(None)
    assert reported == []


async def test_a_busy_default_executor_does_not_hold_up_the_first_request(
    server: Scripted, fresh_process: None
) -> None:
    """The import does not queue behind the caller's own blocking work (here, work that waits for
    the request itself: on the loop's default executor this would deadlock)."""
    server.reply_json(fixture_json("generate_text.json"))
    loop = asyncio.get_running_loop()
    done = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        loop.set_default_executor(executor)
        try:
            blocked = loop.run_in_executor(None, done.wait, 20)  # the executor's only worker is taken
            async with asyncio.timeout(10):
                async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as client:
                    assert (await client.models.generate_content(model=MODEL, contents="x")).text
        finally:
            done.set()
            await blocked
            loop.set_default_executor(concurrent.futures.ThreadPoolExecutor())


async def test_once_aiohttp_is_loaded_a_new_client_opens_without_a_thread(
    server: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    _real_load(None)
    assert _preload.loaded

    def unexpected(prepare: object) -> None:
        raise AssertionError("a second client loaded aiohttp again")

    monkeypatch.setattr(_preload, "load", unexpected)
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url, retry=False) as client:
        assert (await client.models.generate_content(model=MODEL, contents="x")).text


async def test_an_import_left_pending_by_a_closed_loop_does_not_block_this_one(
    server: Scripted, slow_import: SlowImport
) -> None:
    """A loop closed during the import never hears back; a later loop starts its own."""
    server.reply_json(fixture_json("generate_text.json"))
    slow_import.gate.set()
    other = asyncio.new_event_loop()
    client = genai_async.Client(api_key="k", base_url=server.base_url, retry=False)
    try:
        client._transport._loading = other.create_future()  # what a loop closed mid-import leaves behind
        other.close()
        async with asyncio.timeout(20):
            assert (await client.models.generate_content(model=MODEL, contents="x")).text
    finally:
        await client.aclose()
    assert slow_import.calls == 1
