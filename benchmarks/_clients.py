"""The benchmarked clients, and the child process that measures one of them on one scenario.

benchmarks/run.py starts ``python benchmarks/_clients.py CLIENT KIND --port P --params JSON`` once per
(round, scenario, client), each in a fresh process pinned to core 1. The child builds the client,
runs a warm-up, then measures only the section that matters and prints ONE JSON line:

- CPU: ``time.process_time()`` (every thread of the process) around the measured section;
- wall: ``time.perf_counter()`` around the same section;
- memory: ``ru_maxrss`` (peak RSS of the process) and the current RSS after imports, client
  construction and warm-up (the baseline), so the growth the scenario itself caused is visible;
- the server's CPU share over the section (its ``GET /__cpu`` clock before and after).

Every run verifies what arrived against :func:`_fakeserver.expected`: the parsing clients must return
every chunk (count) and all the text (length and running CRC-32 of the chunk texts; genai_async also
its stitched ``stream.response.text``); the raw-bytes floor must return the exact de-chunked body
(length and running CRC-32). A mismatch marks the run invalid; it is never averaged in. The tallies
keep no text, so the memory measured is the client's own (genai_async keeps the stitched text, as
its ``stream.response`` needs).

The clients (same request bytes, same headers, a pool big enough for 1,000 streams on each):

- ``raw_aiohttp_bytes``: aiohttp ``ClientSession.post`` + ``resp.content.iter_any()``, no parsing.
  The floor every ratio is taken against.
- ``genai_async``: this package, ``Client(max_connections=1000)``.
- ``genai_async_otel`` (on request only, not in run.py's default table): the same with OpenTelemetry
  spans on, recorded by the SDK's TracerProvider without an exporter.
- ``google_genai_aiohttp``: the official SDK's async client on its default async transport (aiohttp
  when it is installed; the child reports what it really used).
- ``google_genai_httpx``: the official SDK forced onto httpx by passing
  ``HttpOptions(httpx_async_client=httpx.AsyncClient(...))`` (the SDK then skips aiohttp, see
  ``BaseApiClient._use_aiohttp`` in google/genai/_api_client.py).
- ``httpx_sse_json``: ``httpx.AsyncClient`` + ``httpx_sse.aconnect_sse`` + ``json.loads`` per event.

Kinds: ``seq`` (streams one after another: S1, S6), ``conc`` (many streams at once: S2, S4),
``unary`` (generate_content calls from N workers: S3), ``first`` (client construction plus the first
generate_content round trip in a fresh process: S5). Import time (S5) is measured by run.py in bare
``python -c`` processes, with :data:`IMPORTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import resource
import socket
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import _fakeserver

API_KEY = "bench-key"
PROMPT = "Explain chunked transfer encoding in one paragraph."
REQUEST = json.dumps({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}).encode()
HEADERS = {"x-goog-api-key": API_KEY, "Content-Type": "application/json"}
MAX_CONNECTIONS = 1000
UNARY_MODEL = "gemini-3.5-flash"
FLOOR = "raw_aiohttp_bytes"

REQUIRES: dict[str, tuple[str, ...]] = {
    "raw_aiohttp_bytes": ("aiohttp",),
    "genai_async": ("genai_async", "aiohttp", "msgspec"),
    "genai_async_otel": ("genai_async", "aiohttp", "msgspec", "opentelemetry.sdk"),
    "google_genai_aiohttp": ("google.genai", "aiohttp"),
    "google_genai_httpx": ("google.genai", "httpx"),
    "httpx_sse_json": ("httpx", "httpx_sse"),
}
"""Top-level modules each client needs; a client whose module is missing is reported as n/a."""

IMPORTS: dict[str, str] = {
    "raw_aiohttp_bytes": "import aiohttp",
    "genai_async": "import genai_async",
    "genai_async_otel": "import genai_async, opentelemetry.sdk.trace",
    "google_genai_aiohttp": "from google import genai",
    "google_genai_httpx": "from google import genai; import httpx",
    "httpx_sse_json": "import httpx, httpx_sse, json",
}
"""What ``import`` means for each client in S5 (what a user's program would write)."""


class Got:
    """What one stream or one unary call delivered: chunk count, size and CRC-32 of the payload."""

    __slots__ = ("chunks", "size", "crc", "problem")

    def __init__(self, chunks: int | None, size: int, crc: int, problem: str = "") -> None:
        self.chunks, self.size, self.crc, self.problem = chunks, size, crc, problem

    @classmethod
    def of_text(cls, text: str) -> Got:
        raw = text.encode()
        return cls(1, len(raw), zlib.crc32(raw))

    def add(self, text: str | None) -> None:
        """Count one streamed chunk and fold its text in (nothing is kept, so memory stays the client's)."""
        raw = (text or "").encode()
        self.chunks = (self.chunks or 0) + 1
        self.size += len(raw)
        self.crc = zlib.crc32(raw, self.crc)

    def check_stitched(self, text: str | None) -> Got:
        """Also require the client's stitched response text to equal the chunks' text."""
        raw = (text or "").encode()
        if (len(raw), zlib.crc32(raw)) != (self.size, self.crc):
            self.problem = "stitched response text != concatenated chunk texts"
        return self

    def check(self, want: _fakeserver.Expected) -> str:
        """An empty string when everything arrived, else what is wrong."""
        if self.problem:
            return self.problem
        if self.chunks is None:  # raw bytes: the exact body proves every event arrived
            if (self.size, self.crc) != (want.body_len, want.body_crc):
                return f"body {self.size} bytes crc {self.crc:#x}, want {want.body_len} crc {want.body_crc:#x}"
            return ""
        if self.chunks != want.chunks:
            return f"{self.chunks} chunks, want {want.chunks}"
        if (self.size, self.crc) != (want.text_len, want.text_crc):
            return f"text {self.size} bytes crc {self.crc:#x}, want {want.text_len} crc {want.text_crc:#x}"
        return ""


# ---------------------------------------------------------------------------------------------- clients


class Bench:
    """One client under test: ``open`` it, then ``stream``/``unary`` as often as needed, ``aclose``."""

    transport = ""

    async def open(self, base_url: str) -> None:
        raise NotImplementedError

    async def stream(self, model: str) -> Got:
        raise NotImplementedError

    async def unary(self) -> Got:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class RawAiohttpBytes(Bench):
    """The floor: send the request and read the body bytes as they arrive, nothing else."""

    transport = "aiohttp"

    async def open(self, base_url: str) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None))
        self.base = f"{base_url}/v1beta/models/"

    async def stream(self, model: str) -> Got:
        size = crc = 0
        async with self.session.post(
            f"{self.base}{model}:streamGenerateContent?alt=sse", data=REQUEST, headers=HEADERS
        ) as resp:
            if resp.status != 200:
                return Got(None, 0, 0, f"HTTP {resp.status}")
            async for piece in resp.content.iter_any():
                size += len(piece)
                crc = zlib.crc32(piece, crc)
        return Got(None, size, crc)

    async def unary(self) -> Got:
        async with self.session.post(f"{self.base}{UNARY_MODEL}:generateContent", data=REQUEST, headers=HEADERS) as r:
            body = await r.read()
        return Got(None, len(body), zlib.crc32(body))

    async def aclose(self) -> None:
        await self.session.close()


class GenaiAsync(Bench):
    transport = "aiohttp"

    async def open(self, base_url: str) -> None:
        import genai_async

        self.client = genai_async.Client(api_key=API_KEY, base_url=base_url, max_connections=MAX_CONNECTIONS)

    async def stream(self, model: str) -> Got:
        got = Got(0, 0, 0)
        stream = self.client.models.generate_content_stream(model=model, contents=PROMPT)
        async for chunk in stream:
            got.add(chunk.text)
        return got.check_stitched(stream.response.text)

    async def unary(self) -> Got:
        response = await self.client.models.generate_content(model=UNARY_MODEL, contents=PROMPT)
        return Got.of_text(response.text or "")

    async def aclose(self) -> None:
        await self.client.aclose()


class GenaiAsyncOtel(GenaiAsync):
    """genai_async with OpenTelemetry on (``Client(instrument=True)``), spans recorded by the SDK's
    TracerProvider with no processor: the cost of tracing itself, without any exporter's."""

    async def open(self, base_url: str) -> None:
        from opentelemetry.sdk.trace import TracerProvider

        import genai_async

        genai_async.instrument(tracer_provider=TracerProvider())
        self.client = genai_async.Client(api_key=API_KEY, base_url=base_url, max_connections=MAX_CONNECTIONS)
        genai_async.instrument(enabled=False)


class GoogleGenai(Bench):
    """The official SDK's async client (``client.aio``) on its default async transport."""

    def _http_options(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_version": "v1beta"}

    async def open(self, base_url: str) -> None:
        from google import genai
        from google.genai import types

        self.client = genai.Client(api_key=API_KEY, http_options=types.HttpOptions(**self._http_options(base_url)))
        api = self.client._api_client
        if api._use_aiohttp():
            self.transport = "aiohttp"
        else:
            self.transport = type(api._async_httpx_client).__module__.split(".")[0]
        self.models = self.client.aio.models

    async def stream(self, model: str) -> Got:
        got = Got(0, 0, 0)
        async for chunk in await self.models.generate_content_stream(model=model, contents=PROMPT):
            got.add(chunk.text)
        return got

    async def unary(self) -> Got:
        response = await self.models.generate_content(model=UNARY_MODEL, contents=PROMPT)
        return Got.of_text(response.text or "")

    async def aclose(self) -> None:
        await self.client.aio.aclose()


class GoogleGenaiHttpx(GoogleGenai):
    """The official SDK handed an ``httpx.AsyncClient``: with one, it never uses aiohttp."""

    def _http_options(self, base_url: str) -> dict[str, Any]:
        import httpx

        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        self.httpx_client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(600.0))
        return {**super()._http_options(base_url), "httpx_async_client": self.httpx_client}

    async def open(self, base_url: str) -> None:
        await super().open(base_url)
        if self.transport != "httpx":  # older SDKs take the client but still send through aiohttp
            raise RuntimeError(f"the SDK ignored httpx_async_client and used {self.transport}")

    async def aclose(self) -> None:
        await super().aclose()
        await self.httpx_client.aclose()


class HttpxSseJson(Bench):
    """A hand-rolled client: httpx + httpx-sse, ``json.loads`` per event, text pulled from the dict."""

    transport = "httpx"

    async def open(self, base_url: str) -> None:
        import httpx
        from httpx_sse import aconnect_sse

        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        self.client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(600.0))
        self.connect = aconnect_sse
        self.base = f"{base_url}/v1beta/models/"

    async def stream(self, model: str) -> Got:
        got = Got(0, 0, 0)
        url = f"{self.base}{model}:streamGenerateContent?alt=sse"
        async with self.connect(self.client, "POST", url, content=REQUEST, headers=HEADERS) as source:
            source.response.raise_for_status()
            async for event in source.aiter_sse():
                parts = json.loads(event.data)["candidates"][0]["content"]["parts"]
                got.add("".join(part.get("text", "") for part in parts))
        return got

    async def unary(self) -> Got:
        resp = await self.client.post(f"{self.base}{UNARY_MODEL}:generateContent", content=REQUEST, headers=HEADERS)
        resp.raise_for_status()
        parts = json.loads(resp.content)["candidates"][0]["content"]["parts"]
        return Got.of_text("".join(part.get("text", "") for part in parts))

    async def aclose(self) -> None:
        await self.client.aclose()


VARIANTS = frozenset({"genai_async_otel"})
"""Clients measured on request (instructions.py --clients), not in run.py's default peer table."""

CLIENTS: dict[str, type[Bench]] = {
    "raw_aiohttp_bytes": RawAiohttpBytes,
    "genai_async": GenaiAsync,
    "genai_async_otel": GenaiAsyncOtel,
    "google_genai_aiohttp": GoogleGenai,
    "google_genai_httpx": GoogleGenaiHttpx,
    "httpx_sse_json": HttpxSseJson,
}


# ------------------------------------------------------------------------------------------ measurement


def current_rss() -> int:
    """Resident set size of this process now, in bytes (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (ru_maxrss is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib if sys.platform == "darwin" else kib * 1024


def server_clock(port: int) -> tuple[float, float]:
    """The fake server's (CPU seconds, wall seconds), read over a throwaway blocking connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /__cpu HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        data = b""
        while b"}" not in data:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
    doc = json.loads(data[data.index(b"\r\n\r\n") + 4 :])
    return float(doc["cpu"]), float(doc["wall"])


class Section:
    """Clocks around the measured section: own CPU and wall time, the server's CPU share."""

    def __init__(self, port: int, profiler: Any = None) -> None:
        self.port, self.profiler = port, profiler
        self.cpu = self.wall = self.server_share = 0.0

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        srv_cpu0, srv_wall0 = server_clock(self.port)
        gc.collect()
        if self.profiler is not None:
            self.profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        yield
        cpu1, wall1 = time.process_time(), time.perf_counter()
        if self.profiler is not None:
            self.profiler.disable()
        srv_cpu1, srv_wall1 = server_clock(self.port)
        self.cpu, self.wall = cpu1 - cpu0, wall1 - wall0
        self.server_share = (srv_cpu1 - srv_cpu0) / max(srv_wall1 - srv_wall0, 1e-9)


def _verify(got: list[Got], want: _fakeserver.Expected) -> str:
    for i, item in enumerate(got):
        problem = item.check(want)
        if problem:
            return f"call {i + 1} of {len(got)}: {problem}"
    return ""


async def _timed(call: Awaitable[Got], durations: list[float]) -> Got:
    start = time.perf_counter()
    got = await call
    durations.append(time.perf_counter() - start)
    return got


async def run_seq(bench: Bench, section: Section, p: dict[str, Any]) -> dict[str, Any]:
    """S1/S6: ``reps`` streams of ``model`` one after another (after ``warm`` warm-up streams)."""
    for _ in range(p.get("warm_reps", 1)):
        await bench.stream(p.get("warm", p["model"]))
    got = []
    with section.measure():
        for _ in range(p["reps"]):
            got.append(await bench.stream(p["model"]))
    want = _fakeserver.expected(p["model"])
    chunks = want.chunks * p["reps"]
    return {
        "problem": _verify(got, want),
        "cpu_us_per_chunk": section.cpu / chunks * 1e6,
        "wall_s": section.wall,
        "chunks": chunks,
    }


async def run_conc(bench: Bench, section: Section, p: dict[str, Any]) -> dict[str, Any]:
    """S2/S4: ``streams`` streams of ``model`` at once; throughput, p99 duration, memory."""
    warm = p.get("warm", p["model"])
    await asyncio.gather(*(bench.stream(warm) for _ in range(p.get("warm_streams", 1))))
    gc.collect()
    baseline = current_rss()
    durations: list[float] = []
    with section.measure():
        got = await asyncio.gather(*(_timed(bench.stream(p["model"]), durations) for _ in range(p["streams"])))
    want = _fakeserver.expected(p["model"])
    chunks = want.chunks * p["streams"]
    durations.sort()
    p99 = durations[max(0, -(-len(durations) * 99 // 100) - 1)]
    peak = peak_rss()
    return {
        "problem": _verify(got, want),
        "chunks_per_s": chunks / section.wall,
        "p99_stream_ms": p99 * 1e3,
        "cpu_us_per_chunk": section.cpu / chunks * 1e6,
        "peak_rss_mb": peak / 2**20,
        "baseline_rss_mb": baseline / 2**20,
        "rss_growth_mb": (peak - baseline) / 2**20,
        "wall_s": section.wall,
        "chunks": chunks,
    }


async def run_unary(bench: Bench, section: Section, p: dict[str, Any]) -> dict[str, Any]:
    """S3: ``requests`` generate_content calls from ``concurrency`` workers."""

    async def workers(total: int) -> list[Got]:
        out: list[Got] = []
        left = [total]

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                out.append(await bench.unary())

        await asyncio.gather(*(worker() for _ in range(p["concurrency"])))
        return out

    await workers(p.get("warm", p["concurrency"]))
    with section.measure():
        got = await workers(p["requests"])
    return {
        "problem": _verify(got, _fakeserver.expected(None)) or ("" if len(got) == p["requests"] else "missing calls"),
        "cpu_us_per_req": section.cpu / p["requests"] * 1e6,
        "req_per_s": p["requests"] / section.wall,
        "wall_s": section.wall,
    }


async def run_first(bench: Bench, section: Section, p: dict[str, Any], base_url: str) -> dict[str, Any]:
    """S5: client construction + the first generate_content round trip (the client's ``import``
    done before; whatever it imports lazily is part of the call). A ticker task waking every
    millisecond reports the longest the event loop was blocked meanwhile (what the program's other
    tasks, e.g. a web server's requests, would wait)."""
    before = len(sys.modules)
    wakes: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            await asyncio.sleep(0.001)
            wakes.append(time.perf_counter())

    watch = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    with section.measure():
        start = time.perf_counter()
        await bench.open(base_url)
        got = await bench.unary()
        end = time.perf_counter()
    done.set()
    await watch
    inside = [start, *(t for t in wakes if start < t < end), end]
    stall = max(b - a for a, b in itertools.pairwise(inside))
    return {
        "problem": _verify([got], _fakeserver.expected(None)),
        "first_call_ms": section.wall * 1e3,
        "first_call_cpu_ms": section.cpu * 1e3,
        "first_call_stall_ms": stall * 1e3,
        "modules_loaded_by_first_call": len(sys.modules) - before,
    }


RUNNERS: dict[str, Callable[[Bench, Section, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "seq": run_seq,
    "conc": run_conc,
    "unary": run_unary,
}


def import_client(name: str) -> None:
    """Import what the client needs (outside any measured section)."""
    exec(IMPORTS[name], {})


async def run(name: str, kind: str, port: int, params: dict[str, Any], profiler: Any = None) -> dict[str, Any]:
    """Measure client ``name`` on one scenario kind against the server on ``port``; a result dict."""
    base_url = f"http://127.0.0.1:{port}"
    bench = CLIENTS[name]()
    section = Section(port, profiler)
    try:
        if kind == "first":
            result = await run_first(bench, section, params, base_url)
        else:
            await bench.open(base_url)
            result = await RUNNERS[kind](bench, section, params)
    finally:
        with contextlib.suppress(AttributeError):  # never opened
            await bench.aclose()
    result["server_cpu_share"] = section.server_share
    result["transport"] = bench.transport
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure one client on one scenario (started by run.py)")
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("kind", choices=[*RUNNERS, "first"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--params", default="{}", help="scenario parameters as JSON")
    parser.add_argument("--cpu", type=int, default=1, help="core to pin to (-1: do not pin)")
    args = parser.parse_args()
    _fakeserver.pin(args.cpu)
    _fakeserver.raise_fd_limit()
    import_client(args.client)
    try:
        result = asyncio.run(run(args.client, args.kind, args.port, json.loads(args.params)))
    except Exception as exc:  # reported as an invalid run, with the reason
        result = {"problem": f"{type(exc).__name__}: {exc}"[:500]}
    result["ok"] = not result["problem"]
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
