"""The bulk runner's own cost: requests/s and CPU per request through ``genai_async.bulk.run`` next to
the bare client doing the same calls, and peak RSS over input sizes (issue 20).

How: the server runs in another process, pinned to core 0 (``--server emulator``: ``genai-async
emulator`` with no pacing; ``--server fake``: benchmarks/_fakeserver.py, a fixed ~700-byte unary
body at almost no CPU); this process is pinned to core 1. Both sides use one identical client and
``--concurrency`` tasks:
- ``bare``: N ``generate_content`` calls, results dropped;
- ``runner``: ``bulk.run`` over an N-line JSONL file (parse each line, call, encode the result line,
  append it to the output file, progress bookkeeping).
CPU per request is this process's ``time.process_time`` over the measured section / N (the server's
CPU is not in it); the overhead is runner / bare - 1. The server process's own CPU over the same
section / N is printed next to it (``server us/req``, from /proc on Linux): with the server pinned
to its own core, 1e6 / that figure is the most requests per second it can answer, whatever the client.
``--rss 10000,1000000`` runs ``bulk.run`` in a fresh child per size and reports its peak RSS
(``ru_maxrss``), the input streamed from disk.

    python benchmarks/bulk_runner.py --server fake --requests 20000
    python benchmarks/bulk_runner.py --server emulator --requests 10000
    python benchmarks/bulk_runner.py --server fake --rss 10000,1000000 --skip-cpu
    python benchmarks/bulk_runner.py --instructions --skip-cpu      # needs valgrind; about 2 minutes
    python benchmarks/bulk_runner.py --server-instructions --skip-cpu   # the emulator's; about 2 minutes

``--instructions`` is the steady figure on a busy machine (CPU time swings by 30 % there): each side
runs twice under ``valgrind --tool=callgrind`` against the fake server (200 and 1,200 requests, 8
at a time) and the difference of the instruction counts is divided by the extra requests, as in
benchmarks/instructions.py, so start-up and imports cancel out. ``--server-instructions`` is the
same for the emulator process (as ``genai-async emulator`` serves it, on ``--loop``): it runs under
callgrind twice (300 and 1,300 unary requests, 16 at a time) and exits after the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import genai_async
from genai_async import bulk
from genai_async._cli.common import resolve_loop, run_async

HERE = Path(__file__).resolve().parent
MODEL = "gemini-3.5-flash"


def pin(cpu: int) -> None:
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SERVER_PID: int | None = None


def server_cpu() -> float:
    """The server process's CPU seconds so far (user + system), NaN where /proc is not there."""
    try:
        with open(f"/proc/{_SERVER_PID}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(kind: str, loop: str) -> tuple[subprocess.Popen[bytes], str]:
    if kind == "fake":
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "_fakeserver.py"), "--port", "0", "--cpu", "0"], stdout=subprocess.PIPE
        )
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        return proc, f"http://127.0.0.1:{int(line.split()[1])}"
    port = free_port()
    cmd = [sys.executable, "-m", "genai_async", "emulator", "--port", str(port), "--loop", loop]  # as users serve it
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: pin(0))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the emulator did not start")


def write_input(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"key": f"k{i}", "prompt": f"Question number {i}: what is it?"}) + "\n")


def client_for(base_url: str, concurrency: int) -> genai_async.Client:
    return genai_async.Client(
        api_key="bench", base_url=base_url, retry=bulk.RUNNER_RETRY, max_connections=max(concurrency, 100)
    )


async def bare(base_url: str, n: int, concurrency: int) -> tuple[float, float, float]:
    async with client_for(base_url, concurrency) as client:
        prompts = iter([f"Question number {i}: what is it?" for i in range(n)])

        async def worker() -> None:
            for prompt in prompts:
                await client.models.generate_content(model=MODEL, contents=prompt)

        await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm-up pass on the same pool
        prompts = iter([f"Question number {i}: what is it?" for i in range(n)])
        cpu, wall, server = time.process_time(), time.perf_counter(), server_cpu()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.process_time() - cpu, time.perf_counter() - wall, server_cpu() - server


async def runner(base_url: str, path: Path, n: int, concurrency: int) -> tuple[float, float, float]:
    async with client_for(base_url, concurrency) as client:
        with tempfile.TemporaryDirectory() as tmp:
            await bulk.run(
                str(path), output=Path(tmp) / "warm.jsonl", model=MODEL, client=client, concurrency=concurrency
            )
            cpu, wall, server = time.process_time(), time.perf_counter(), server_cpu()
            summary = await bulk.run(
                str(path), output=Path(tmp) / "out.jsonl", model=MODEL, client=client, concurrency=concurrency
            )
            elapsed = time.process_time() - cpu, time.perf_counter() - wall, server_cpu() - server
            assert summary.done == n and summary.failed == 0, summary.text()
            return elapsed


def child_rss(args: argparse.Namespace) -> None:
    async def go() -> dict[str, float]:
        async with client_for(args.base_url, args.concurrency) as client:
            start = time.perf_counter()
            summary = await bulk.run(
                args.child_rss, output=args.output, model=MODEL, client=client, concurrency=args.concurrency
            )
            return {
                "done": summary.done,
                "failed": summary.failed,
                "seconds": time.perf_counter() - start,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }

    print(json.dumps(asyncio.run(go())))


async def child_work(kind: str, n: int, base_url: str, path: str, output: str) -> None:
    if kind == "bare":
        await bare_once(base_url, n, 8)
        return
    async with client_for(base_url, 8) as client:
        summary = await bulk.run(path, output=output, model=MODEL, client=client, concurrency=8)
        assert summary.done == n and summary.failed == 0, summary.text()


async def bare_once(base_url: str, n: int, concurrency: int) -> None:
    async with client_for(base_url, concurrency) as client:
        prompts = iter([f"Question number {i}: what is it?" for i in range(n)])

        async def worker() -> None:
            for prompt in prompts:
                await client.models.generate_content(model=MODEL, contents=prompt)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def child_emulator(port: int, n: int) -> None:
    """Serve the emulator as ``serve()`` does (no request log) until ``n`` replies went out, then exit."""
    from aiohttp import web

    from genai_async.emulator import Emulator

    done, answered = asyncio.Event(), 0

    async def count(request: web.Request, response: web.StreamResponse) -> None:
        nonlocal answered
        answered += 1
        if answered >= n:
            done.set()

    emulator = Emulator(max_recorded_requests=0)
    emulator.app.on_response_prepare.append(count)
    runner = web.AppRunner(emulator.app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await done.wait()
    finally:
        await runner.cleanup()


def server_instructions(loop: str) -> None:
    small, large = 300, 1300
    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (small, large):
            port = free_port()
            out = Path(tmp) / "cg.out"
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__]
            cmd += ["--child-emulator", str(port), str(n), "--loop", loop]
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            assert proc.stdout is not None
            proc.stdout.readline()
            run_async(bare_once(f"http://127.0.0.1:{port}", n, 16), loop)
            _, err = proc.communicate(timeout=600)
            counts.append(next(int(line.split()[-1]) for line in err.splitlines() if "Collected :" in line))
    per = (counts[1] - counts[0]) / (large - small)
    print(f"emulator ({loop}) {per:12,.0f} instructions per unary request")


def instructions(base_url: str, tmp: Path) -> None:
    small, large = 200, 1200
    per: dict[str, float] = {}
    for kind in ("bare", "runner"):
        counts = []
        for n in (small, large):
            path = tmp / f"in-{n}.jsonl"
            write_input(path, n)
            out = tmp / f"out-{kind}-{n}.jsonl"
            cmd = [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp / 'cg.out'}",
                sys.executable,
                __file__,
                "--child-work",
                kind,
                str(n),
                base_url,
                str(path),
                str(out),
            ]
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            counts.append(next(int(line.split()[-1]) for line in done.stderr.splitlines() if "Collected :" in line))
        per[kind] = (counts[1] - counts[0]) / (large - small)
        print(f"{kind:8} {per[kind]:12,.0f} instructions per request")
    print(f"runner overhead: {100 * (per['runner'] / per['bare'] - 1):+.1f} % instructions per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=["fake", "emulator"], default="fake")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="bare/runner pairs; the median is reported")
    parser.add_argument("--rss", default="", help="comma-separated input sizes for the peak-RSS runs")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto", help="both sides' event loop")
    parser.add_argument("--server-instructions", action="store_true", help="the emulator's, with callgrind")
    parser.add_argument("--child-work", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--child-emulator", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-rss", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_emulator:
        run_async(child_emulator(*args.child_emulator), resolve_loop(args.loop))
        return
    if args.server_instructions:
        server_instructions(resolve_loop(args.loop))
        if args.skip_cpu and not args.instructions and not args.rss:
            return
    if args.child_work:
        kind, n, url, path, output = args.child_work
        asyncio.run(child_work(kind, int(n), url, path, output))
        return
    pin(1)
    if args.child_rss:
        child_rss(args)
        return
    global _SERVER_PID
    loop = resolve_loop(args.loop)
    proc, base_url = start_server(args.server, loop)
    _SERVER_PID = proc.pid
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if not args.skip_cpu:
                path = Path(tmp) / "in.jsonl"
                write_input(path, args.requests)
                rows = []
                for _ in range(args.rounds):
                    rows.append(
                        (
                            run_async(bare(base_url, args.requests, args.concurrency), loop),
                            run_async(runner(base_url, path, args.requests, args.concurrency), loop),
                        )
                    )
                rows.sort(key=lambda r: r[1][0] / r[0][0])
                (b_cpu, b_wall, b_server), (r_cpu, r_wall, r_server) = rows[len(rows) // 2]
                n = args.requests
                print(
                    f"server={args.server} loop={loop} requests={n} concurrency={args.concurrency} "
                    f"rounds={args.rounds} load={os.getloadavg()[0]:.1f}"
                )
                print(f"{'':8} {'req/s':>9} {'CPU us/req':>11} {'server us/req':>14}")
                print(f"{'bare':8} {n / b_wall:9.0f} {1e6 * b_cpu / n:11.1f} {1e6 * b_server / n:14.1f}")
                print(f"{'runner':8} {n / r_wall:9.0f} {1e6 * r_cpu / n:11.1f} {1e6 * r_server / n:14.1f}")
                print(f"runner overhead: {100 * (r_cpu / b_cpu - 1):+.1f} % CPU per request (median round)")
                best_bare = max(n / row[0][1] for row in rows)
                best_runner = max(n / row[1][1] for row in rows)
                print(f"best round: bare {best_bare:.0f} req/s, runner {best_runner:.0f} req/s")
                servers = sorted(1e6 * row[side][2] / n for row in rows for side in (0, 1))
                print(
                    f"server CPU us/req over all {len(servers)} passes: median {servers[len(servers) // 2]:.1f}, "
                    f"lowest {servers[0]:.1f} (ceiling {1e6 / servers[0]:.0f} req/s on one free core)"
                )
            if args.instructions:
                instructions(base_url, Path(tmp))
            for size in [int(s) for s in args.rss.split(",") if s]:
                path = Path(tmp) / f"rss-{size}.jsonl"
                write_input(path, size)
                out = Path(tmp) / f"rss-{size}.out.jsonl"
                result = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child-rss",
                        str(path),
                        "--base-url",
                        base_url,
                        "--output",
                        str(out),
                        "--concurrency",
                        str(args.concurrency),
                    ],
                    capture_output=True,
                    check=True,
                )
                row = json.loads(result.stdout)
                print(
                    f"rss lines={size}: peak RSS {row['rss_mb']:.1f} MB, {row['done']} done, "
                    f"{row['failed']} failed, {row['done'] / row['seconds']:.0f} req/s"
                )
                path.unlink()
                out.unlink()
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
