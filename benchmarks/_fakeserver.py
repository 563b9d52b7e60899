"""A minimal-CPU fake Gemini server for the peer benchmarks (benchmarks/run.py), in its own process.

What it serves, over plain HTTP/1.1 with keep-alive (an ``asyncio.Protocol``, no framework):

- ``POST /{v1beta,v1}/models/{model}:streamGenerateContent?alt=sse``: a chunked ``text/event-stream``
  body of ``data: <one-line JSON>\\r\\n\\r\\n`` events shaped like tests/fixtures/stream_text.sse
  (docs/gemini-rest.md §5.2). Every event carries ~60 bytes of text and usageMetadata, all share one
  responseId, and the last has finishReason STOP. The scenario is the model name: ``c{N}-i{MS}`` is
  N chunks, MS milliseconds apart (``c2000-i0`` = back to back, ``c20-i50`` = one every 50 ms).
- ``POST .../models/{any}:generateContent``: a fixed ~700-byte pretty-printed body like
  tests/fixtures/generate_text.json.
- ``GET /__cpu``: this process's CPU and wall clocks as JSON, so a client can report the server's
  CPU share (CPU time / wall time) over its measured section.

How it stays cheap: every byte is precomputed per scenario (HTTP head, each event already framed as
one HTTP chunk, the terminating chunk); each SSE event is ONE ``transport.write``; back-to-back
streams pause on the transport's flow control instead of buffering megabytes; paced streams use one
``loop.call_at`` per event, scheduled from the stream's start so the gaps do not drift. The process
pins itself to one core (``--cpu``, default 0) when the OS allows it.

The expected values a client must reproduce (chunk count, text length and CRC-32, raw body length and
CRC-32) come from :func:`expected` here, so the verifying side and the serving side cannot disagree.

Usage: python benchmarks/_fakeserver.py [--port 0] [--cpu 0]   (prints ``PORT <n>`` once listening)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import sys
import time
import zlib
from dataclasses import dataclass
from functools import cache

RESPONSE_ID = "bEnChMaRkReSpOnSeId0001"
MODEL_VERSION = "gemini-3.5-flash"
TEXT_BYTES = 60
_FILLER = "streams of text arrive as small JSON events over one keep-alive HTTP connection; "
_MODEL = re.compile(r"^c(\d+)-i(\d+)$")
_PATH = re.compile(rb"^/v1(?:beta|alpha)?/models/([^:/?]+):(streamGenerateContent|generateContent)(?:\?|$)")

_STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
_LAST_CHUNK = b"0\r\n\r\n"


def chunk_text(i: int) -> str:
    """The text of chunk ``i``: exactly TEXT_BYTES ASCII bytes, different for every index."""
    start = (i * 7) % len(_FILLER)
    body = (_FILLER[start:] + _FILLER)[: TEXT_BYTES - 8]
    return f"[{i:05d}] {body}"


def _usage(candidates: int | None) -> dict[str, object]:
    usage: dict[str, object] = {"promptTokenCount": 12}
    if candidates is not None:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = 12 + (candidates or 0)
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": 12}]
    usage["serviceTier"] = "standard"
    return usage


def _event(i: int, n: int) -> bytes:
    """One SSE event (``data: {json}\\r\\n\\r\\n``), formatted like the live API's one-line JSON."""
    last = i == n - 1
    candidate: dict[str, object] = {"content": {"parts": [{"text": chunk_text(i)}], "role": "model"}}
    if last:
        candidate["finishReason"] = "STOP"
    candidate["index"] = 0
    doc = {
        "candidates": [candidate],
        "usageMetadata": _usage(15 * n if last else None),
        "modelVersion": MODEL_VERSION,
        "responseId": RESPONSE_ID,
    }
    return b"data: " + json.dumps(doc, separators=(",", ": "), ensure_ascii=False).encode() + b"\r\n\r\n"


def _framed(payload: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(payload), payload)


@dataclass(frozen=True)
class StreamSpec:
    """One streaming scenario: ``chunks`` events, ``interval`` seconds apart (0 = back to back)."""

    chunks: int
    interval: float
    frames: tuple[bytes, ...]
    """Each event already framed as one HTTP chunk; the last frame also carries the 0-length chunk."""


@cache
def stream_spec(model: str) -> StreamSpec | None:
    """The scenario named by ``model`` (``c{N}-i{MS}``), or None if the name is not one."""
    m = _MODEL.match(model)
    if m is None or int(m.group(1)) < 1:
        return None
    n, ms = int(m.group(1)), int(m.group(2))
    frames = [_framed(_event(i, n)) for i in range(n)]
    frames[-1] += _LAST_CHUNK  # the body's end goes out with the last event: still one write per event
    return StreamSpec(n, ms / 1000.0, tuple(frames))


UNARY_TEXT = (
    "Chunked transfer encoding lets an HTTP/1.1 server send a body of unknown length as a sequence "
    "of length-prefixed chunks, ending with a zero-length chunk."
)


def unary_body() -> bytes:
    """The fixed generateContent answer, pretty-printed like tests/fixtures/generate_text.json."""
    doc = {
        "candidates": [
            {
                "content": {"parts": [{"text": UNARY_TEXT}], "role": "model"},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 27,
            "totalTokenCount": 77,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
            "thoughtsTokenCount": 38,
            "serviceTier": "standard",
        },
        "modelVersion": MODEL_VERSION,
        "responseId": RESPONSE_ID,
    }
    return json.dumps(doc, indent=2).encode() + b"\n"


def _plain(status: str, body: bytes, content_type: str = "application/json; charset=UTF-8") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


_UNARY = _plain("200 OK", unary_body())
_NOT_FOUND = _plain(
    "404 Not Found", b'{"error": {"code": 404, "message": "no such route or model", "status": "NOT_FOUND"}}\n'
)


@dataclass(frozen=True)
class Expected:
    """What a client must have received from one stream or one unary call."""

    chunks: int
    text_len: int
    text_crc: int
    body_len: int
    body_crc: int


@cache
def expected(model: str | None) -> Expected:
    """Expected values for a stream of scenario ``model``, or for one unary call when ``model`` is None."""
    if model is None:
        body = unary_body()
        text = UNARY_TEXT.encode()
        return Expected(1, len(text), zlib.crc32(text), len(body), zlib.crc32(body))
    spec = stream_spec(model)
    if spec is None:
        raise ValueError(f"not a scenario model name: {model!r}")
    text = "".join(chunk_text(i) for i in range(spec.chunks)).encode()
    # the raw-bytes client sees the de-chunked body: the SSE events only
    events = b"".join(_event(i, spec.chunks) for i in range(spec.chunks))
    return Expected(spec.chunks, len(text), zlib.crc32(text), len(events), zlib.crc32(events))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parse requests, answer from precomputed bytes."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buf = b""
        self._paused = False
        self._frames: tuple[bytes, ...] = ()
        self._next = 0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._frames = ()
        self._transport = None

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._frames and self._timer is None:
            self._pump()

    def data_received(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            lower = head.lower()
            body_start = end + 4
            if b"\r\ntransfer-encoding: chunked" in lower:
                stop = buf.find(b"\r\n0\r\n\r\n", body_start - 2)
                if stop < 0:
                    break
                total = stop + 7
            else:
                at = lower.find(b"\r\ncontent-length:")
                length = 0
                if at >= 0:
                    eol = lower.find(b"\r\n", at + 2)
                    length = int(lower[at + 17 : eol if eol > 0 else None])
                total = body_start + length
                if len(buf) < total:
                    break
            self._handle(head)
            buf = buf[total:]
        self._buf = buf

    def _handle(self, head: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
        method, _, rest = line.partition(b" ")
        target = rest.rpartition(b" ")[0]
        if method == b"GET" and target == b"/__cpu":
            body = json.dumps({"cpu": time.process_time(), "wall": time.perf_counter()}).encode()
            transport.write(_plain("200 OK", body))
            return
        m = _PATH.match(target)
        if method != b"POST" or m is None:
            transport.write(_NOT_FOUND)
            return
        if m.group(2) == b"generateContent":
            transport.write(_UNARY)
            return
        spec = stream_spec(m.group(1).decode())
        if spec is None:
            transport.write(_NOT_FOUND)
            return
        transport.write(_STREAM_HEAD)
        self._frames, self._next = spec.frames, 0
        if spec.interval:
            loop = asyncio.get_running_loop()
            self._tick(loop, loop.time(), spec.interval)
        else:
            self._pump()

    def _pump(self) -> None:
        """Back to back: one write per event until done or the transport asks us to pause."""
        frames, i, n = self._frames, self._next, len(self._frames)
        write = self._transport.write if self._transport is not None else None
        while i < n and not self._paused and write is not None:
            write(frames[i])
            i += 1
        self._next = i
        if i >= n:
            self._frames = ()

    def _tick(self, loop: asyncio.AbstractEventLoop, start: float, interval: float) -> None:
        """Paced: write event ``_next`` now and schedule the next one at start + k * interval."""
        self._timer = None
        if self._transport is None or not self._frames:
            return
        self._transport.write(self._frames[self._next])
        self._next += 1
        if self._next >= len(self._frames):
            self._frames = ()
            return
        self._timer = loop.call_at(start + self._next * interval, self._tick, loop, start, interval)


def pin(cpu: int) -> None:
    """Pin this process to core ``cpu`` when the OS allows it (a no-op elsewhere)."""
    try:
        if cpu >= 0 and cpu in os.sched_getaffinity(0):
            os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def raise_fd_limit() -> None:
    """Allow a few thousand sockets (S4 opens 1,000 connections at once)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Gemini server for benchmarks/run.py")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: do not pin)")
    args = parser.parse_args()
    pin(args.cpu)
    raise_fd_limit()
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
