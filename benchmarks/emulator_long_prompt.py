"""The emulator under a long prompt: its CPU per long request, and a small request's latency beside it.

The emulator runs in a child process (``python -m genai_async emulator``) on a free loopback port,
so its CPU time can be read from /proc/<pid>/stat (user + system, Linux only) without counting the
client. Two measurements:

(a) CPU: one ``generateContent`` whose prompt is --tokens emulator tokens (words of an English-like
    text with capitalised names and numbers, about 6 bytes a token), sent --repeats times; the
    table shows the child's CPU seconds per request (best and median) and the prompt size the
    emulator reported (``promptTokenCount``).
(b) Latency: a tiny ``generateContent`` sent back to back for the whole time one long request is in
    flight; the table compares the small requests' median and maximum latency with the same small
    requests on an idle emulator. An emulator that did the long request's work on its event loop
    would hold every small request until it finished.

Usage: python benchmarks/emulator_long_prompt.py [--tokens 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp

MODEL = "gemini-3.5-flash"
_SMALL = b'{"contents": [{"role": "user", "parts": [{"text": "What is the capital of France?"}]}]}'
_WORDS = (
    "the a river Zurich walked over Paris with 42 lanterns and maple copper harbor signal orbit meadow "
    "London summit quietly. Then Ada read 7 chapters near Geneva, while Boris counted 3.5 kilometres"
).split()


def prompt_text(tokens: int, seed: int = 0) -> str:
    """About ``tokens`` emulator tokens: words and punctuation each count as one."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_WORDS) for _ in range(int(tokens * 0.87)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def emulator_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    cmd = [sys.executable, "-m", "genai_async", "emulator", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "Gemini emulator listening on ..."
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.asynccontextmanager
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout, headers={"x-goog-api-key": "bench"}) as client:
        yield client


def encode(text: str) -> bytes:
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": text}]}]}).encode()


async def generate(client: aiohttp.ClientSession, base: str, body: bytes) -> dict[str, object]:
    # Encoded up front and sent file-like: the client's own loop must not stall on a 5 MB body.
    url = f"{base}/v1beta/models/{MODEL}:generateContent"
    async with client.post(url, data=io.BytesIO(body), headers={"content-type": "application/json"}) as resp:
        data: dict[str, object] = await resp.json()
        if resp.status != 200:
            raise RuntimeError(f"{resp.status}: {data}")
        return data


async def measure_cpu(base: str, pid: int, text: bytes, repeats: int) -> tuple[list[float], object]:
    used, tokens = [], None
    async with session() as client:
        await generate(client, base, encode("warm up"))
        for _ in range(repeats):
            before = cpu_seconds(pid)
            reply = await generate(client, base, text)
            used.append(cpu_seconds(pid) - before)
            tokens = reply["usageMetadata"]["promptTokenCount"]  # type: ignore[index]
    return used, tokens


async def small_latencies(client: aiohttp.ClientSession, base: str, until: asyncio.Future[object]) -> list[float]:
    out: list[float] = []
    while not until.done() or not out:
        start = time.perf_counter()
        await generate(client, base, _SMALL)
        out.append(time.perf_counter() - start)
    return out


async def measure_latency(base: str, text: bytes) -> tuple[list[float], list[float]]:
    async with session() as client:
        idle_done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        idle_task = asyncio.ensure_future(small_latencies(client, base, idle_done))
        await asyncio.sleep(1.0)
        idle_done.set_result(None)
        idle = await idle_task
        long_request = asyncio.ensure_future(generate(client, base, text))
        busy = await small_latencies(client, base, long_request)
        await long_request
    return idle, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    text = encode(prompt_text(args.tokens))
    with emulator_process() as (proc, base):
        used, tokens = asyncio.run(measure_cpu(base, proc.pid, text, args.repeats))
        idle, busy = asyncio.run(measure_latency(base, text))
    print(f"prompt: {len(text) / 1e6:.1f} MB, promptTokenCount {tokens}")
    print(f"{'measure':<44} {'best':>9} {'median':>9} {'max':>9}")
    print(f"{'emulator CPU per long request (s)':<44} {min(used):9.3f} {statistics.median(used):9.3f} {max(used):9.3f}")
    for label, values in (("small request alone (ms)", idle), ("small request beside the long one (ms)", busy)):
        ms = [v * 1000 for v in values]
        print(f"{label:<44} {min(ms):9.2f} {statistics.median(ms):9.2f} {max(ms):9.2f}   n={len(ms)}")


if __name__ == "__main__":
    main()
