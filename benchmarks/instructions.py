"""Instructions per request or per chunk, counted by valgrind (callgrind): the steady figure.

CPU time on a shared 2-core VM swings by 30 % from one process to the next, which hides any change
smaller than that. Instruction counts do not swing: this script runs each client twice under
``valgrind --tool=callgrind`` against the fake server, with a small and a large amount of work, and
divides the difference by the extra work, so start-up, imports and warm-up cancel out. It counts
user-space instructions only (the kernel's share of a read is the same for every client).

    python benchmarks/instructions.py                       # every shape, floor and genai_async
    python benchmarks/instructions.py --shape unary --clients raw_aiohttp_bytes,genai_async

Shapes: ``unary`` (generate_content, 8 workers), ``stream`` (one stream, a chunk every 20 ms so
every read holds one chunk, like S6), ``slow`` (many concurrent 20-chunk streams, like S4: per
stream setup and the garbage collector's share are included), ``open`` (many concurrent one-chunk
streams, each on a new connection: what opening, finishing and closing a stream costs, S4's per-stream
share), ``burst`` (concurrent 200-chunk streams sent back to back, like S2: reads hold many events, so
the transport's cost per chunk is low and the per-event decode shows most), and ``pieces`` (no I/O:
genai_async's per-chunk work stage by stage on fake-server events: building the event text, msgspec's
decode, stitching, ``.text``; each line is what its stage adds). About a minute per client and shape.
Children never write bytecode caches, so the small and the large run load the same modules the same
way (a first run that compiles and a second that reads the cache would skew the difference).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHAPES = {  # shape: (small, large, unit, units per step)
    "unary": (80, 480, "request", 1),
    "stream": (1, 5, "chunk", 100),
    "slow": (50, 250, "chunk", 20),
    "open": (50, 250, "stream", 1),
    "burst": (20, 100, "chunk", 200),
    "pieces": (2000, 12000, "event", 1),
}
PIECES = ("events", "decode", "stitch", "text")
"""The ``pieces`` shape's steps, each doing one more stage of a chunk's work than the one before."""
MODELS = {"slow": "c20-i50", "open": "c1-i0", "burst": "c200-i0"}  # the concurrent shapes' streams


async def _work(client: str, port: int, shape: str, n: int) -> None:
    import _clients

    _clients.import_client(client)
    bench = _clients.CLIENTS[client]()
    await bench.open(f"http://127.0.0.1:{port}")
    try:
        if shape == "unary":
            for _ in range(20):
                await bench.unary()

            async def worker(k: int) -> None:
                for _ in range(k):
                    await bench.unary()

            await asyncio.gather(*(worker(n // 8) for _ in range(8)))
        elif shape == "stream":
            await bench.stream("c20-i0")
            for _ in range(n):
                await bench.stream("c100-i20")
        else:
            await asyncio.gather(*(bench.stream("c20-i0") for _ in range(10)))
            await asyncio.gather(*(bench.stream(MODELS[shape]) for _ in range(n)))
    finally:
        await bench.aclose()


def _pieces(step: str, n: int) -> None:
    """``n`` fake-server events taken through genai_async's per-chunk stages up to ``step``, no I/O."""
    import _fakeserver

    from genai_async._accumulate import Accumulator
    from genai_async._codec import decoder
    from genai_async.types import GenerateContentResponse

    upto = PIECES.index(step)
    decode, add = decoder(GenerateContentResponse).decode, Accumulator().add
    for i in range(n):
        data = _fakeserver._event(i, 10**6)[6:-4].decode()
        if upto >= 1:
            chunk = decode(data)
            if upto >= 2:
                add(chunk)
                if upto >= 3:
                    _ = chunk.text


def _count(client: str, port: int, shape: str, n: int, out: Path) -> int:
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, str(Path(__file__).resolve()), "--child", client, str(port), shape, str(n),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, env=env)
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split()[-1])
    raise RuntimeError(f"callgrind gave no count for {client}: {done.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", default="unary,stream,slow,open,burst,pieces")
    parser.add_argument("--clients", default="raw_aiohttp_bytes,genai_async")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    if args.child:
        client, port, shape, n = args.child
        if shape == "pieces":
            _pieces(client, int(n))
        else:
            asyncio.run(_work(client, int(port), shape, int(n)))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt install valgrind)")
    cmd = [sys.executable, str(HERE / "_fakeserver.py"), "--cpu", "-1"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline().split()[1])
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for shape in args.shape.split(","):
                small, large, unit, per_step = SHAPES[shape]
                before = None
                for client in PIECES if shape == "pieces" else args.clients.split(","):
                    a = _count(client, port, shape, small, Path(tmp) / "a.out")
                    b = _count(client, port, shape, large, Path(tmp) / "b.out")
                    per_unit = (b - a) / ((large - small) * per_step)
                    results.setdefault(shape, {})[client] = per_unit
                    if shape == "pieces":
                        ratio = f"  (+{per_unit - before:,.0f} for {client})" if before is not None else ""
                        before = per_unit
                    else:
                        floor = results[shape].get("raw_aiohttp_bytes")
                        ratio = f"  {per_unit / floor:.2f}x floor" if floor else ""
                    print(f"{shape:6} {client:22} {per_unit:12,.0f} instructions per {unit}{ratio}", flush=True)
    finally:
        server.terminate()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
