"""One test per fault, over a real socket: the exact typed error, nothing lost, nothing leaked.

Each test checks four things: the error (class, code or ``.limit``, ``.attempts``, ``.partial``),
that every good chunk before the fault was yielded (compared with a clean run of the same request,
which the emulator answers byte for byte the same), that the connection was closed or went back
to the pool with no task left behind (``no_leaks``), and that the same client serves the next
request. Servers run in their own thread (see conftest.py).
"""

from __future__ import annotations

import builtins
import logging
import socket
from collections.abc import AsyncIterator

import msgspec
import pytest

import genai_async
from genai_async import errors
from genai_async.emulator import Emulator

from .conftest import (
    ATTEMPTS,
    STREAM,
    Chunks,
    FaultServer,
    collect,
    joined,
    new_client,
    no_leaks,
    ok_plan,
    open_stream,
    served,
    sse,
    text_events,
)

HTML_502 = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>502 Bad Gateway</h1><p>The server encountered a temporary error.</p></body></html>"
)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[genai_async.Client]:
    """A client on the emulator; 5 s of silence fails a test that would otherwise hang."""
    async with new_client(emulator.base_url, timeout=5) as c:
        yield c


@pytest.fixture
async def reference(client: genai_async.Client) -> Chunks:
    """The chunks of a clean run of the prompt every test sends (the emulator is deterministic)."""
    chunks, exc = await collect(client)
    assert exc is None and len(chunks) >= 6
    return chunks


async def still_usable(client: genai_async.Client, reference: Chunks) -> None:
    """The same client streams the whole answer again, and its connection goes back to the pool."""
    async with no_leaks(client, pooled=1):
        again, exc = await collect(client)
    assert exc is None and again == reference


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- before any response


async def test_connection_refused_is_retried_then_surfaces() -> None:
    port = free_port()
    async with new_client(f"http://127.0.0.1:{port}", timeout=5) as client:
        async with no_leaks(client, pooled=0):
            with pytest.raises(errors.ConnectionError) as info:
                await open_stream(client)
        err = info.value
        assert isinstance(err, builtins.ConnectionError)
        assert err.attempts == ATTEMPTS and err.request_sent is False and err.partial is None
        assert "cannot connect" in str(err) and "test-key" not in str(err)
        # Something starts listening on that port: the same client connects now.
        async with served(FaultServer(port)) as server:
            server.queue(ok_plan(["back ", "up"]))
            async with no_leaks(client, pooled=1):
                chunks, exc = await collect(client)
            assert exc is None and joined(chunks) == "back up"


async def test_reset_before_headers_is_a_connection_error_and_not_retried(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_fault("reset_before_headers", endpoint=STREAM)
    sent = len(emulator.requests)
    async with no_leaks(client):
        with pytest.raises(errors.ConnectionError) as info:
            await open_stream(client)
    err = info.value
    # The POST reached the server, so it may be running there: never sent twice.
    assert err.request_sent is True and err.attempts == 1 and len(emulator.requests) == sent + 1
    assert "before the response arrived" in str(err)
    await still_usable(client, reference)


@pytest.mark.parametrize("fault", ["refused", "reset_before_headers"])
async def test_async_for_keeps_the_connection_error_of_the_open(emulator: Emulator, fault: str) -> None:
    url = emulator.base_url if fault != "refused" else f"http://127.0.0.1:{free_port()}"
    if fault != "refused":
        emulator.queue_fault(fault, endpoint=STREAM)
    async with new_client(url, timeout=5) as client:
        chunks, exc = await collect(client)
    assert chunks == []
    assert isinstance(exc, errors.ConnectionError)
    assert exc.attempts == (ATTEMPTS if fault == "refused" else 1)
    assert exc.request_sent is (fault != "refused")


# --------------------------------------------------------------------------- the body breaks


async def test_reset_mid_event_raises_stream_error_with_partial(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_fault("drop_mid_event", after_events=3, endpoint=STREAM)
    async with no_leaks(client, pooled=0):
        chunks, exc = await collect(client)
    assert chunks == reference[:3]
    assert type(exc) is errors.StreamError and exc.attempts == 1
    assert "was cut" in str(exc)
    assert exc.partial is not None and exc.partial.text == joined(reference[:3])
    await still_usable(client, reference)


async def test_clean_eof_mid_event_raises_stream_error_and_pools_the_connection(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_fault("eof_mid_event", after_events=2, endpoint=STREAM)
    # The body ended properly (chunked terminator), so the connection is clean and reusable.
    async with no_leaks(client, pooled=1):
        chunks, exc = await collect(client)
    assert chunks == reference[:2]
    assert type(exc) is errors.StreamError and "inside an event" in str(exc)
    assert exc.partial is not None and exc.partial.text == joined(reference[:2])
    await still_usable(client, reference)


async def test_hang_after_headers_fires_the_read_timeout(emulator: Emulator) -> None:
    async with new_client(emulator.base_url, timeout=0.3) as client:
        reference, _ = await collect(client)
        emulator.queue_fault("hang_after_headers", endpoint=STREAM)
        sent = len(emulator.requests)
        async with no_leaks(client, pooled=0):
            chunks, exc = await collect(client)
        assert chunks == []
        assert isinstance(exc, errors.TimeoutError) and isinstance(exc, builtins.TimeoutError)
        assert exc.limit == "read" and exc.seconds == 0.3 and exc.partial is None
        assert exc.attempts == 1 and len(emulator.requests) == sent + 1  # a sent POST is not repeated
        await still_usable(client, reference)


async def test_hang_after_chunks_fires_the_read_timeout_with_partial(emulator: Emulator) -> None:
    async with new_client(emulator.base_url, timeout=0.3) as client:
        reference, _ = await collect(client)
        emulator.queue_fault("hang_after_events", after_events=4, endpoint=STREAM)
        async with no_leaks(client, pooled=0):
            chunks, exc = await collect(client)
        assert chunks == reference[:4]
        assert isinstance(exc, errors.TimeoutError) and exc.limit == "read" and exc.seconds == 0.3
        assert exc.partial is not None and exc.partial.text == joined(reference[:4])
        await still_usable(client, reference)


async def test_slow_drip_below_the_idle_timeout_succeeds(emulator: Emulator) -> None:
    piece, interval, timeout = 256, 0.05, 0.3
    async with new_client(emulator.base_url, timeout=timeout) as client:
        reference, _ = await collect(client)
        size = sum(len(msgspec.json.encode(c)) for c in reference)  # the wire body is longer still
        # By construction the whole answer takes longer than the silence limit, yet no gap reaches it.
        assert (size // piece) * interval > timeout > interval
        emulator.queue_fault("slow_drip", piece=piece, interval=interval, endpoint=STREAM)
        async with no_leaks(client, pooled=1):
            chunks, exc = await collect(client)
        assert exc is None and chunks == reference


# --------------------------------------------------------------------------- error answers and retries


async def test_429_with_retry_info_is_retried_after_the_hinted_delay(
    client: genai_async.Client, emulator: Emulator, reference: Chunks, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.queue_error(429, retry_delay=0.2, endpoint=STREAM)  # RetryInfo {"retryDelay": "0.2s"}
    sent = len(emulator.requests)
    with caplog.at_level(logging.INFO, logger="genai_async"):
        async with no_leaks(client, pooled=1):
            chunks, exc = await collect(client)
    assert exc is None and chunks == reference
    assert len(emulator.requests) == sent + 2
    # The wait was the server's hint (0.2 s), not our own jittered backoff of at most 0.01 s.
    retries = [m for m in caplog.messages if m.startswith("retrying POST")]
    assert len(retries) == 1 and " in 0.20s " in retries[0] and "HTTP 429 RESOURCE_EXHAUSTED" in retries[0]


async def test_503_then_success_gives_exactly_one_answer(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_error(503, endpoint=STREAM)
    sent = len(emulator.requests)
    async with no_leaks(client, pooled=1):
        stream = open_stream(client)
        chunks = [c async for c in stream]
    assert chunks == reference and stream.chunk_count == len(reference)  # nothing twice
    assert stream.response.text == joined(reference)
    assert len(emulator.requests) == sent + 2


async def test_503_after_first_chunk_is_not_retried_and_keeps_partial(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_fault("inband_error", after_events=1, endpoint=STREAM)
    sent = len(emulator.requests)
    async with no_leaks(client):
        chunks, exc = await collect(client)
    assert client.open_connections <= 1  # pooled only if the body's end had already arrived
    assert chunks == reference[:1]
    assert type(exc) is errors.ServerError and exc.code == 503 and exc.status == "UNAVAILABLE"
    assert exc.attempts == 1 and len(emulator.requests) == sent + 1  # delivered output is never replayed
    assert exc.partial is not None and exc.partial.text == reference[0].text
    await still_usable(client, reference)


async def test_html_502_is_retried_then_surfaces_with_a_body_excerpt(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    attempts = ATTEMPTS
    emulator.queue_error(502, body=HTML_502, endpoint=STREAM, times=attempts)
    sent = len(emulator.requests)
    async with no_leaks(client):
        with pytest.raises(errors.ServerError) as info:
            await open_stream(client)
    err = info.value
    assert err.code == 502 and err.status == "Bad Gateway" and err.attempts == attempts
    assert err.message == "502 Bad Gateway 502 Bad Gateway The server encountered a temporary error."
    assert "<" not in str(err) and err.partial is None
    assert len(emulator.requests) == sent + attempts
    await still_usable(client, reference)


async def test_stream_retries_before_the_first_chunk_report_their_attempts(
    client: genai_async.Client, emulator: Emulator
) -> None:
    attempts = ATTEMPTS
    emulator.queue_fault("inband_error", after_events=0, endpoint=STREAM, times=attempts)
    sent = len(emulator.requests)
    chunks, exc = await collect(client)
    assert chunks == [] and len(emulator.requests) == sent + attempts
    assert type(exc) is errors.ServerError and exc.attempts == attempts


async def test_stream_retries_share_one_attempt_budget(client: genai_async.Client, emulator: Emulator) -> None:
    attempts = ATTEMPTS
    for _ in range(attempts):  # each open: 503s up to the budget, then a 200 whose first event is an error
        emulator.queue_error(503, endpoint=STREAM, times=attempts - 1)
        emulator.queue_fault("inband_error", after_events=0, endpoint=STREAM)
    sent = len(emulator.requests)
    chunks, exc = await collect(client)
    assert chunks == [] and isinstance(exc, errors.ServerError)
    assert len(emulator.requests) - sent <= attempts


@pytest.mark.parametrize("shape", ["inband_error", "raw_json_error"])
async def test_inband_error_after_events_raises_server_error_with_partial(
    client: genai_async.Client, emulator: Emulator, reference: Chunks, shape: str
) -> None:
    """Both shapes: an SSE ``data: {"error": ...}`` event, and raw JSON after the last event."""
    emulator.queue_fault(shape, after_events=3, endpoint=STREAM, code=500, message="Internal error encountered.")
    async with no_leaks(client):
        chunks, exc = await collect(client)
    # Pooled again if the body's end arrived with the error, closed if not: never half-read in the pool.
    assert client.open_connections <= 1
    assert chunks == reference[:3]
    assert type(exc) is errors.ServerError and exc.code == 500 and exc.status == "INTERNAL"
    assert exc.message == "Internal error encountered." and exc.attempts == 1
    assert exc.partial is not None and exc.partial.text == joined(reference[:3])
    await still_usable(client, reference)


# --------------------------------------------------------------------------- bad bytes in a 200 body


async def test_invalid_json_event_is_a_stream_error(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    emulator.queue_fault("invalid_json_event", after_events=2, endpoint=STREAM)
    async with no_leaks(client):
        chunks, exc = await collect(client)
    assert client.open_connections <= 1  # pooled only if the whole body had arrived by then
    assert chunks == reference[:2]
    assert type(exc) is errors.StreamError and "event 3 is not a valid response" in str(exc)
    assert exc.partial is not None and exc.partial.text == joined(reference[:2])
    await still_usable(client, reference)


async def test_cut_error_event_is_a_stream_error(
    client: genai_async.Client, emulator: Emulator, reference: Chunks
) -> None:
    cut = '{"error": {"code": 503, "message": "The model is overloa'
    emulator.queue_fault("invalid_json_event", after_events=2, endpoint=STREAM, data=cut)
    chunks, exc = await collect(client)  # collect() catches GenAIError only: a bare DecodeError fails here
    assert chunks == reference[:2]
    assert type(exc) is errors.StreamError and exc.partial is not None


@pytest.mark.parametrize("code", ['"UNAVAILABLE"', "null"])
async def test_inband_error_with_a_non_numeric_code_is_an_api_error(fault_server: FaultServer, code: str) -> None:
    error = b'data: {"error": {"code": ' + code.encode() + b', "message": "boom", "status": "UNAVAILABLE"}}\r\n\r\n'
    fault_server.queue([("head",), ("write", text_events(["Hello"], finish=None)[0]), ("write", error)])
    async with new_client(fault_server.base_url, timeout=5) as client:
        chunks, exc = await collect(client)
    assert joined(chunks) == "Hello"
    assert isinstance(exc, errors.ServerError) and exc.message == "boom" and exc.partial is not None


async def test_oversized_event_hits_the_decoder_cap(fault_server: FaultServer) -> None:
    """The real default cap (32 MiB); one 32 MiB + 1 event is cheap over loopback (~0.3 s)."""
    cap = genai_async.sse.SSEDecoder()._max
    head, tail = b'data: {"candidates":[{"content":{"parts":[{"text":"', b'"}]},"index":0}]}\r\n\r\n'
    huge = head + b"x" * (cap + 1 - len(head)) + tail
    first = text_events(["before "], finish=None)[0]
    fault_server.queue([("head",), ("write", first), ("write", huge), ("hang",)], ok_plan(["after"]))
    async with new_client(fault_server.base_url, timeout=5) as client:
        async with no_leaks(client, pooled=0):
            chunks, exc = await collect(client)
        assert joined(chunks) == "before "
        assert type(exc) is errors.StreamError and f"over max_event_size={cap}" in str(exc)
        assert isinstance(exc.__cause__, genai_async.sse.SSEError)
        assert exc.partial is not None and exc.partial.text == "before "
        async with no_leaks(client, pooled=1):
            again, exc = await collect(client)
        assert exc is None and joined(again) == "after"


# --------------------------------------------------------------------------- sizes


async def test_ten_thousand_tiny_chunks_are_all_delivered(fault_server: FaultServer) -> None:
    texts = [f"{i}·é " for i in range(10_000)]
    fault_server.queue(ok_plan(texts))
    async with new_client(fault_server.base_url, timeout=5) as client:
        async with no_leaks(client, pooled=1):
            stream = open_stream(client)
            chunks = [c async for c in stream]
        assert [c.text for c in chunks] == texts
        final = stream.response
        assert final.text == "".join(texts)
        assert final.candidates is not None and len(final.candidates[0].content.parts) == 1  # type: ignore[union-attr,arg-type]


async def test_one_mebibyte_single_chunk(fault_server: FaultServer) -> None:
    text = ("é€😀" * (1 << 20))[: (1 << 20) // 3]  # ~1 MiB of UTF-8, multi-byte all the way
    event = sse({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]})
    assert len(event) > 1 << 20
    fault_server.queue([("head",), ("write", event)], ok_plan(["next"]))
    async with new_client(fault_server.base_url, timeout=5) as client:
        async with no_leaks(client, pooled=1):
            stream = open_stream(client)
            chunks = [c async for c in stream]
        assert len(chunks) == 1 and chunks[0].text == text and stream.response.text == text
        async with no_leaks(client, pooled=1):
            again, exc = await collect(client)
        assert exc is None and joined(again) == "next"
