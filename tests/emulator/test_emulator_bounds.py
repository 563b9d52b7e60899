"""The emulator's memory is bounded (issue 15, item 9): a recent-requests log, and uploads that
cannot grow past their declared size."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from genai_async.emulator import Emulator, _server, running

from .emulator_helpers import Api
from .test_emulator_files import PDF, send, start


async def _post_many(api: Api, count: int, size: int) -> None:
    for i in range(count):
        await api.post(
            "/v1beta/models/gemini-3.5-flash:countTokens", {"contents": [{"parts": [{"text": f"{i} " + "x" * size}]}]}
        )


async def test_the_request_log_keeps_the_most_recent_requests(api: Api, emu: Emulator) -> None:
    emu.max_recorded_requests = 5
    await _post_many(api, 12, 10)
    assert len(emu.requests) == 5
    assert [r.json["contents"][0]["parts"][0]["text"].split()[0] for r in emu.requests] == ["7", "8", "9", "10", "11"]


async def test_the_request_log_holds_a_bounded_amount_of_body_bytes(api: Api, emu: Emulator) -> None:
    emu.max_recorded_bytes = 1024 * 1024
    await _post_many(api, 200, 64 * 1024)  # 12.5 MiB of bodies: all of them were kept before
    kept = sum(len(r.body) for r in emu.requests)
    assert kept <= 1024 * 1024 and len(emu.requests) == kept // len(emu.requests[-1].body)
    assert emu.requests[-1].json["contents"][0]["parts"][0]["text"].startswith("199 ")
    emu.reset()
    assert not emu.requests and emu._recorded_bytes == 0


async def test_a_long_running_emulator_is_bounded_by_default() -> None:
    async with running() as emu:
        assert emu.max_recorded_requests == 1000 and emu.max_recorded_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize("bad", [-1, 1.5, "10"])
def test_bounds_must_be_non_negative_ints(bad: object) -> None:
    with pytest.raises(ValueError, match="max_recorded"):
        Emulator(max_recorded_requests=bad)  # type: ignore[arg-type]


async def test_a_zero_bound_keeps_nothing_also_from_live_sessions(
    api: Api, emu: Emulator, session: aiohttp.ClientSession
) -> None:
    live = emu.base_url + "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    emu.max_recorded_requests = 1
    await _post_many(api, 3, 10)
    async with session.ws_connect(live, headers={"x-goog-api-key": "k"}):
        pass
    assert [r.method for r in emu.requests] == ["GET"]  # a Live session is logged within the bound too
    emu.max_recorded_requests = 0
    await _post_many(api, 3, 10)
    async with session.ws_connect(live, headers={"x-goog-api-key": "k"}):
        pass
    assert emu.requests == [] and emu._recorded_bytes == 0


async def test_a_served_emulator_keeps_no_request_log_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve_forever`` (``serve``, the ``genai-async emulator`` process): nobody outside could read the log."""
    seen: list[dict[str, object]] = []

    class Stop(Exception):
        pass

    @contextlib.asynccontextmanager
    async def fake_running(host: str, port: int, **kwargs: object) -> AsyncIterator[Emulator]:
        seen.append(kwargs)
        raise Stop
        yield  # an async generator, as running() is

    monkeypatch.setattr(_server, "running", fake_running)
    for kwargs in ({"seed": 3}, {"max_recorded_requests": 10}):
        with pytest.raises(Stop):
            await _server.serve_forever("127.0.0.1", 0, **kwargs)
    assert seen == [{"seed": 3, "max_recorded_requests": 0}, {"max_recorded_requests": 10}]


async def test_the_pytest_fixture_keeps_every_request(gemini_emulator: Emulator) -> None:
    assert gemini_emulator.max_recorded_requests is None and gemini_emulator.max_recorded_bytes is None


async def test_an_upload_chunk_past_the_declared_size_is_a_400(api: Api, emu: Emulator) -> None:
    url = await start(api, PDF)
    first = await send(api, url, PDF[:100], 0, "upload")
    assert first.status == 200
    over = await send(api, url, PDF[100:] + b"extra bytes", 100, "upload")
    assert over.status == 400 and "declared size" in over.json()["error"]["message"]
    assert over.headers["x-goog-upload-size-received"] == "100"  # nothing of the rejected chunk was kept
    query = await send(api, url, b"", 100, "query")
    assert query.headers["x-goog-upload-size-received"] == "100"
    final = await send(api, url, PDF[100:], 100, "upload, finalize")  # the right bytes still finish it
    assert final.status == 200 and final.json()["file"]["sizeBytes"] == str(len(PDF))
