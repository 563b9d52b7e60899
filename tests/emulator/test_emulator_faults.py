"""Every scripted fault, observed at the byte level with a raw aiohttp client."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from genai_async.emulator import Emulator, _server, running
from tests.waiting import HANG, wait_until

from .emulator_helpers import KEY, MODEL, Api, fixture_bytes, sse_events, user

BODY = {"contents": [user("How does AI work?")]}
STREAM = "streamGenerateContent"


async def read_stream(
    session: aiohttp.ClientSession, emu: Emulator, endpoint: str = STREAM, alt: str | None = "sse"
) -> tuple[bytes, list[bytes], BaseException | None]:
    """Everything received, the individual reads, and the exception that ended the body (if any)."""
    url = f"{emu.base_url}/v1beta/models/{MODEL}:{endpoint}" + (f"?alt={alt}" if alt else "")
    pieces: list[bytes] = []
    error: BaseException | None = None
    try:
        async with session.post(url, json=BODY, headers={"x-goog-api-key": KEY}) as resp:
            async for piece in resp.content.iter_any():
                pieces.append(piece)
    except aiohttp.ClientError as exc:
        error = exc
    return b"".join(pieces), pieces, error


def complete_events(body: bytes) -> list[bytes]:
    return [b for b in body.split(b"\r\n\r\n")[:-1]]


async def test_reset_before_headers(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("reset_before_headers")
    body, _, error = await read_stream(session, emu, "generateContent", alt=None)
    assert isinstance(error, aiohttp.ServerDisconnectedError) and body == b""
    assert len(emu.requests) == 1  # a POST is not retried by aiohttp


async def test_drop_mid_event(session: aiohttp.ClientSession, emu: Emulator) -> None:
    full, _, _ = await read_stream(session, emu)
    emu.queue_fault("drop_mid_event", after_events=2, endpoint=STREAM)
    body, _, error = await read_stream(session, emu)
    assert isinstance(error, aiohttp.ClientPayloadError)
    assert complete_events(body) == complete_events(full)[:2]
    tail = body.split(b"\r\n\r\n")[-1]
    assert tail.startswith(b"data: {") and full.split(b"\r\n\r\n")[2].startswith(tail) and tail != b""


async def test_eof_mid_event(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("eof_mid_event", after_events=1)
    body, _, error = await read_stream(session, emu)
    assert error is None
    assert len(complete_events(body)) == 1
    assert not body.endswith(b"\r\n\r\n") and body.split(b"\r\n\r\n")[-1].startswith(b"data: {")


async def test_hang_after_headers_then_prompt_shutdown(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner's shutdown timeout made far longer than the hang bound: leaving in time proves the
    # emulator ended the hanging handler itself, not the runner's timeout.
    monkeypatch.setattr(_server, "_SHUTDOWN_TIMEOUT", 10 * HANG)
    url_path = f"/v1beta/models/{MODEL}:{STREAM}?alt=sse"
    async with asyncio.timeout(HANG):
        async with running() as emu:
            emu.queue_fault("hang_after_headers")
            resp = await session.post(emu.base_url + url_path, json=BODY, headers={"x-goog-api-key": KEY})
            assert resp.status == 200
            await wait_until(lambda: bool(emu._hanging))  # the handler is parked
    assert not emu._hanging
    with pytest.raises(aiohttp.ClientPayloadError):
        await resp.read()
    resp.release()


async def test_hang_after_events_ends_when_client_leaves(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("hang_after_events", after_events=2)
    url = f"{emu.base_url}/v1beta/models/{MODEL}:{STREAM}?alt=sse"
    async with session.post(url, json=BODY, headers={"x-goog-api-key": KEY}) as resp:
        first = await resp.content.readuntil(b"\r\n\r\n")
        second = await resp.content.readuntil(b"\r\n\r\n")
        assert first.startswith(b"data: ") and second.startswith(b"data: ")
        await wait_until(lambda: bool(emu._hanging))  # the handler is parked
        assert not resp.content.is_eof()  # nothing more came, and the body did not end
        resp.close()
    await wait_until(lambda: not emu._hanging)


async def test_inband_error(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("inband_error", after_events=3)
    body, _, error = await read_stream(session, emu)
    assert error is None
    events = sse_events(body)
    assert len(events) == 4
    assert events[-1] == {
        "error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}
    }
    assert body.endswith(
        b'data: {"error": {"code": 503,"message": "The model is overloaded. Please try again later.",'
        b'"status": "UNAVAILABLE"}}\r\n\r\n'
    )
    emu.queue_fault("inband_error", after_events=0, code=429, message="slow down")
    events = sse_events((await read_stream(session, emu))[0])
    assert events == [{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}]


async def test_raw_json_error_matches_fixture_tail(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("raw_json_error", after_events=2)
    body, _, error = await read_stream(session, emu)
    assert error is None
    fixture = fixture_bytes("stream_error_raw_json.sse")
    raw_tail = fixture[fixture.rindex(b"\r\n\r\n") + 4 :]
    assert body.endswith(b"\r\n\r\n" + raw_tail)
    assert len(complete_events(body)) == 2
    assert json.loads(raw_tail)["error"]["status"] == "UNAVAILABLE"


async def test_slow_drip_sends_the_same_bytes_in_pieces(session: aiohttp.ClientSession, emu: Emulator) -> None:
    normal, normal_reads, _ = await read_stream(session, emu)
    emu.queue_fault("slow_drip", interval=0.002, piece=64)
    dripped, reads, error = await read_stream(session, emu)
    assert error is None and dripped == normal
    assert len(reads) > len(normal_reads) and len(reads) > 5


async def test_invalid_json_event(session: aiohttp.ClientSession, emu: Emulator) -> None:
    normal, _, _ = await read_stream(session, emu)
    emu.queue_fault("invalid_json_event", after_events=1)
    body, _, _ = await read_stream(session, emu)
    blocks = complete_events(body)
    assert blocks[0] == complete_events(normal)[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(blocks[1][len(b"data: ") :])
    assert blocks[2:] == complete_events(normal)[1:]


async def test_oversized_event(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("oversized_event", after_events=1, size=300_000)
    events = sse_events((await read_stream(session, emu))[0])
    sizes = [len(e["candidates"][0]["content"]["parts"][0].get("text", "")) for e in events]
    assert sizes[1] == 300_000 and max(sizes[:1] + sizes[2:]) < 1000


async def test_no_finish_reason(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("no_finish_reason")
    body, _, error = await read_stream(session, emu)
    assert error is None and body.endswith(b"\r\n\r\n")
    assert all("finishReason" not in c for e in sse_events(body) for c in e["candidates"])


async def test_faults_on_unary_and_array_endpoints(session: aiohttp.ClientSession, emu: Emulator) -> None:
    emu.queue_fault("drop_mid_event", endpoint="generateContent")
    body, _, error = await read_stream(session, emu, "generateContent", alt=None)
    assert isinstance(error, aiohttp.ClientPayloadError) and body.startswith(b"{\n")
    emu.queue_fault("inband_error", after_events=1, endpoint=STREAM)
    array, _, _ = await read_stream(session, emu, alt=None)
    elements = json.loads(array)
    assert elements[-1]["error"]["code"] == 503 and len(elements) == 2


async def test_fault_filters_times_and_validation(api: Api, emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.queue_fault("no_finish_reason", endpoint=STREAM, times=2)
    assert (await api.generate(BODY))["candidates"][0]["finishReason"] == "STOP"
    for _ in range(2):
        assert b"finishReason" not in (await read_stream(session, emu))[0]
    assert b"finishReason" in (await read_stream(session, emu))[0]
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.queue_fault("explode")
