"""Peer benchmark: genai_async against raw aiohttp, the official SDK (aiohttp and httpx) and httpx-sse.

One command, ``python benchmarks/run.py [--quick]``, does all of it:

1. starts the fake Gemini server (benchmarks/_fakeserver.py) in its own process, pinned to core 0;
2. runs every (scenario, client) pair in a FRESH process pinned to core 1 (benchmarks/_clients.py),
   which warms up, measures only its own section (CPU with ``time.process_time``, wall with
   ``time.perf_counter``, ``ru_maxrss``) and verifies that every chunk and all the text arrived;
3. interleaves the clients over several rounds (the order rotates each round), so drift on the
   machine hits every client alike, and reports the median of the valid runs. The floor and
   genai_async run in every round; the three peers, which are 5-90x slower and only give context,
   in ``--peer-rounds`` of them (default 2, --quick 1), spread over the run;
4. prints a table (scenario, metric, client, median, range, ratio to the floor, target, pass/fail)
   and writes it to benchmarks/RESULTS.md with the machine, versions, command and date.

The floor is ``raw_aiohttp_bytes``: the same request, the body read with ``iter_any()`` and not parsed.

Scenarios (``--quick`` sizes in brackets where they differ; the full run is the one to quote):

- S1: one stream of 2,000 chunks x 60 bytes of text, back to back, 3 [2] times in a row:
  client CPU µs per chunk.
- S2: 200 [50] concurrent streams x 200 chunks: chunks/s, p99 stream duration, CPU µs per chunk.
- S3: 2,000 [500] unary generate_content calls from 64 concurrent workers: CPU µs per request.
- S4: 1,000 [250] concurrent slow streams (20 chunks, 50 ms apart): peak RSS (ru_maxrss), RSS growth
  over the baseline taken after imports + client + warm-up, CPU µs per chunk.
- S5: cold import (``perf_counter`` around the import statement in a bare ``python -c``, pyc
  cached) and the first call (client construction + first generate_content round trip, in a fresh
  process that ran the client's import statement; what the client imports lazily counts), with the
  longest the event loop was blocked during that call.
- S6: one stream of 500 [250] chunks arriving 2 ms apart (one socket read per chunk): CPU µs per chunk.

The code measured: genai_async/ is copied to a temporary directory at the start and every child
imports that copy (``--no-snapshot`` imports the live tree instead), so edits made while a run is in
progress cannot mix two versions into one table; RESULTS.md records the commit and a hash of the
sources. Python bytecode: children run with ``PYTHONPYCACHEPREFIX`` set to a temporary directory (and
``PYTHONDONTWRITEBYTECODE`` removed), primed once, so import times are those of an installed package
with .pyc files, and the repository gets no __pycache__ directories.

Usage:
    python benchmarks/run.py [--quick] [--scenarios S1,S3] [--clients genai_async,raw_aiohttp_bytes]
                             [--rounds N] [--peer-rounds N] [--json out.json]
                             [--results PATH | --no-results] [--no-snapshot]
    python benchmarks/run.py --profile genai_async S1     # one client/scenario under cProfile
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _clients  # noqa: E402
import _fakeserver  # noqa: E402

FLOOR = _clients.FLOOR
OURS = "genai_async"
SERVER_CPU, CLIENT_CPU = 0, 1
CHILD_TIMEOUT = 600


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    better: str  # "lower" or "higher"
    target: tuple[str, str, float] | None = None
    """(what, op, value): what is "ratio" (to the floor) or "abs"; op is "<=", ">=" or "<"."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    kind: str
    full: dict[str, Any]
    quick: dict[str, Any]
    metrics: tuple[Metric, ...] = field(default_factory=tuple)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "S1",
            "1 stream, 2,000 chunks back to back",
            "seq",
            {"model": "c2000-i0", "reps": 3},
            {"model": "c2000-i0", "reps": 2},
            (Metric("cpu_us_per_chunk", "CPU µs/chunk", "lower", ("ratio", "<=", 2.0)),),
        ),
        Scenario(
            "S2",
            "200 concurrent streams x 200 chunks",
            "conc",
            {"model": "c200-i0", "streams": 200, "warm_streams": 50},
            {"model": "c200-i0", "streams": 50, "warm_streams": 10},
            (
                Metric("chunks_per_s", "chunks/s", "higher", ("ratio", ">=", 0.6)),
                Metric("p99_stream_ms", "p99 stream ms", "lower"),
                Metric("cpu_us_per_chunk", "CPU µs/chunk", "lower"),
            ),
        ),
        Scenario(
            "S3",
            "unary calls, 64 concurrent",
            "unary",
            {"requests": 2000, "concurrency": 64, "warm": 200},
            {"requests": 500, "concurrency": 64, "warm": 64},
            (
                Metric("cpu_us_per_req", "CPU µs/request", "lower", ("ratio", "<=", 1.2)),
                Metric("req_per_s", "requests/s", "higher"),
            ),
        ),
        Scenario(
            "S4",
            "1,000 concurrent slow streams (20 chunks, 50 ms apart)",
            "conc",
            {"model": "c20-i50", "streams": 1000, "warm": "c20-i0", "warm_streams": 10},
            {"model": "c20-i50", "streams": 250, "warm": "c20-i0", "warm_streams": 10},
            (
                Metric("peak_rss_mb", "peak RSS MiB", "lower", ("ratio", "<=", 1.1)),
                Metric("rss_growth_mb", "RSS growth MiB", "lower"),
                Metric("cpu_us_per_chunk", "CPU µs/chunk", "lower", ("ratio", "<=", 1.15)),
            ),
        ),
        Scenario(
            "S5",
            "cold import and first call",
            "first",
            {"import_samples": 3, "first_samples": 2},
            {"import_samples": 2, "first_samples": 1},
            (
                Metric("import_ms", "import ms", "lower", ("abs", "<", 60.0)),
                Metric("first_call_ms", "first call ms", "lower", ("abs", "<=", 5.0)),
                Metric("first_call_stall_ms", "loop stall in first call ms", "lower"),
            ),
        ),
        Scenario(
            "S6",
            "1 stream, chunks 2 ms apart",
            "seq",
            {"model": "c500-i2", "reps": 1, "warm": "c200-i0"},
            {"model": "c250-i2", "reps": 1, "warm": "c200-i0"},
            (Metric("cpu_us_per_chunk", "CPU µs/chunk", "lower", ("ratio", "<=", 1.15)),),
        ),
    )
}


# ------------------------------------------------------------------------------------ processes


CODE_ROOT = ROOT
"""Where the children import genai_async from (and run): a snapshot of the tree, or the repository."""


def snapshot(tmp: str) -> Path:
    """Copy genai_async/ as it is now, so every child of the run imports the same code."""
    root = Path(tmp) / "code"
    shutil.copytree(ROOT / "genai_async", root / "genai_async", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def child_env(cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache_dir
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CODE_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def can_pin() -> bool:
    try:
        return {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0)
    except AttributeError:
        return False


class Server:
    """The fake server subprocess; ``port`` once it listens."""

    def __init__(self, env: dict[str, str], pin: bool) -> None:
        cmd = [sys.executable, str(HERE / "_fakeserver.py"), "--cpu", str(SERVER_CPU if pin else -1)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                doc: dict[str, Any] = json.loads(line)
                return doc
            except ValueError:
                return None
    return None


def run_child(cmd: list[str], env: dict[str, str], pin: bool) -> dict[str, Any]:
    def preexec() -> None:
        if pin:
            os.sched_setaffinity(0, {CLIENT_CPU})

    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=CODE_ROOT, timeout=CHILD_TIMEOUT, preexec_fn=preexec
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "problem": f"timed out after {CHILD_TIMEOUT}s"}
    doc = _last_json(done.stdout)
    if doc is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"ok": False, "problem": f"exit {done.returncode}: {' | '.join(tail)}"[:400]}
    return doc


def import_cmd(client: str) -> list[str]:
    code = (
        "import time, sys\n"
        "n = len(sys.modules)\n"
        "t = time.perf_counter()\n"
        f"{_clients.IMPORTS[client]}\n"
        "dt = time.perf_counter() - t\n"
        "import json\n"
        "print(json.dumps({'ok': True, 'problem': '', 'import_ms': dt * 1e3, 'modules': len(sys.modules) - n}))\n"
    )
    return [sys.executable, "-c", code]


WAKEUP_CODE = """
import asyncio, json, time
async def main():
    await asyncio.sleep(0.002)
    cpu = time.process_time()
    for _ in range(250):
        await asyncio.sleep(0.002)
    print(json.dumps({"ok": True, "cpu_us_per_wakeup": (time.process_time() - cpu) / 250 * 1e6}))
asyncio.run(main())
"""
"""Calibration: the CPU one idle -> ready event-loop wakeup costs on this machine, with no I/O at all.
S4 and S6 pay it once per read for every client, so it is their common floor."""


def client_cmd(client: str, kind: str, port: int, params: dict[str, Any], pin: bool) -> list[str]:
    return [
        sys.executable,
        str(HERE / "_clients.py"),
        client,
        kind,
        "--port",
        str(port),
        "--params",
        json.dumps(params),
        "--cpu",
        str(CLIENT_CPU if pin else -1),
    ]


def available(client: str) -> bool:
    """Whether every module the client needs can be imported (genai_async from CODE_ROOT, as the children do)."""
    return all(
        (CODE_ROOT / mod).is_dir() if mod == "genai_async" else importlib.util.find_spec(mod) is not None
        for mod in _clients.REQUIRES[client]
    )


# ------------------------------------------------------------------------------------ reporting


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _target_text(target: tuple[str, str, float] | None) -> str:
    if target is None:
        return ""
    what, op, value = target
    return f"{op} {value:g}x floor" if what == "ratio" else f"{op} {value:g} ms"


def _passes(target: tuple[str, str, float], median: float, ratio: float | None) -> bool | None:
    what, op, limit = target
    value = ratio if what == "ratio" else median
    if value is None:
        return None
    return {"<=": value <= limit, ">=": value >= limit, "<": value < limit}[op]


def summarize(
    runs: dict[tuple[str, str], list[dict[str, Any]]], scenarios: list[str], clients: list[str], missing: set[str]
) -> list[dict[str, Any]]:
    """One row per (scenario, metric, client): median of the valid runs, range, ratio, verdict."""
    rows = []
    for name in scenarios:
        sc = SCENARIOS[name]
        for metric in sc.metrics:
            floor_med = None
            for client in clients:
                got = runs.get((name, client), [])
                vals = [r[metric.key] for r in got if r.get("ok") and metric.key in r]
                bad = [r for r in got if not r.get("ok") and (metric.key in r or "problem" in r)]
                med = statistics.median(vals) if vals else None
                if client == FLOOR:
                    floor_med = med
                share = [r["server_cpu_share"] for r in got if r.get("ok") and "server_cpu_share" in r]
                rows.append(
                    {
                        "scenario": name,
                        "metric": metric.label,
                        "key": metric.key,
                        "client": client,
                        "median": med,
                        "min": min(vals) if vals else None,
                        "max": max(vals) if vals else None,
                        "runs": len(vals),
                        "invalid": len(bad),
                        "missing": client in missing,
                        "server_cpu_share": statistics.median(share) if share else None,
                        "problems": sorted({r.get("problem", "") for r in bad})[:3],
                        "transport": next((r["transport"] for r in got if r.get("transport")), ""),
                    }
                )
            for row in rows:
                if row["scenario"] == name and row["key"] == metric.key:
                    m = row["median"]
                    row["ratio"] = None if (m is None or not floor_med) else m / floor_med
                    row["target"] = _target_text(metric.target) if row["client"] == OURS else ""
                    verdict = ""
                    if row["client"] == OURS and metric.target is not None:
                        if row["invalid"] or m is None:
                            verdict = "INVALID" if row["invalid"] else "n/a"
                        else:
                            ok = _passes(metric.target, m, row["ratio"])
                            verdict = "n/a" if ok is None else ("pass" if ok else "FAIL")
                    row["result"] = verdict
    return rows


HEAD = ("scenario", "metric", "client", "median", "range", "x floor", "server CPU", "target", "result")


def cells(r: dict[str, Any]) -> tuple[str, ...]:
    """The nine table cells of one summary row."""
    if r["missing"]:
        return (r["scenario"], r["metric"], r["client"], "n/a", "", "", "", r["target"], r["result"] or "")
    rng = "" if r["min"] is None else f"{_fmt(r['min'])}-{_fmt(r['max'])}"
    if r["invalid"]:
        rng += f" ({r['invalid']} invalid)"
    ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
    share = "" if r["server_cpu_share"] is None else f"{r['server_cpu_share']:.0%}"
    return (r["scenario"], r["metric"], r["client"], _fmt(r["median"]), rng, ratio, share, r["target"], r["result"])


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [HEAD, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEAD))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return out


def markdown_table(rows: list[dict[str, Any]]) -> list[str]:
    out = ["| " + " | ".join(HEAD).replace("x floor", "× floor") + " |", "|---|---|---|---:|---|---:|---:|---|---|"]
    for r in rows:
        line = list(cells(r))
        if line[8] in ("pass", "FAIL", "INVALID"):
            line[8] = f"**{line[8]}**"
        out.append("| " + " | ".join(line) + " |")
    return out


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    for dist in ("aiohttp", "msgspec", "genai-async", "google-genai", "httpx", "httpx-sse", "pydantic"):
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            info[dist] = "not installed"
    return info


def code_fingerprint(root: Path = ROOT) -> str:
    """A hash of genai_async's source files under ``root``, to notice the code changing under a run."""
    digest = hashlib.sha1()
    for path in sorted((root / "genai_async").rglob("*.py")):
        try:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "genai_async"], capture_output=True, text=True, cwd=ROOT
        )
    except OSError:
        return "unknown"
    if head.returncode:
        return "unknown"
    changed = len(dirty.stdout.splitlines())
    return head.stdout.strip() + (f" + {changed} uncommitted change(s) in genai_async/" if changed else "")


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


INSTRUCTIONS_HEADING = "## Instructions"


def write_results(path: Path, rows: list[dict[str, Any]], command: str, info: dict[str, str], notes: list[str]) -> None:
    ours = [r for r in rows if r["client"] == OURS and r["result"]]
    passed = sum(r["result"] == "pass" for r in ours)
    lines = [
        "# Peer benchmark results",
        "",
        f"Command: `{command}`  ",
        f"Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}  ",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['os']}  ",
        f"Code: {info['git']} (genai_async sources sha1 {info['code']})  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("cpu", "cores", "os", "git", "code")),
        "",
        "Server pinned to core 0, each client run in a fresh process pinned to core 1 (when the OS allows).",
        "Median of the valid runs; range = min-max; × floor = median / `raw_aiohttp_bytes` median;",
        "server CPU = the fake server's CPU time / wall time over the client's measured section.",
        f"genai_async targets met: {passed} of {len(ours)}.",
        "",
        *markdown_table(rows),
        "",
        "## Notes",
        "",
        *(f"- {n}" for n in notes),
        "",
        "See benchmarks/README.md for what each scenario measures and how.",
        "",
    ]
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = old.find(INSTRUCTIONS_HEADING)  # instructions.py's section: measured separately, kept as it is
    if kept >= 0:
        lines.append(old[kept:].rstrip("\n") + "\n")
    path.write_text("\n".join(lines), encoding="utf-8")


# ------------------------------------------------------------------------------------ main


def params_for(name: str, quick: bool) -> dict[str, Any]:
    sc = SCENARIOS[name]
    return dict(sc.quick if quick else sc.full)


def run_rounds(
    args: argparse.Namespace, clients: list[str], scenarios: list[str], env: dict[str, str], pin: bool
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    args.code_changes = []
    code = code_fingerprint(CODE_ROOT)
    server = Server(env, pin)
    try:
        for client in clients:  # prime the bytecode cache (and check each client imports)
            run_child(import_cmd(client), env, pin)
        peer_rounds = {rnd * args.rounds // args.peer_rounds for rnd in range(args.peer_rounds)}
        for rnd in range(args.rounds):
            order = clients[rnd % len(clients) :] + clients[: rnd % len(clients)]
            if rnd not in peer_rounds:
                order = [c for c in order if c in (FLOOR, OURS)]
            now = code_fingerprint(CODE_ROOT)
            if now != code:
                args.code_changes.append(rnd + 1)
                print(f"WARNING: genai_async's source changed before round {rnd + 1}", flush=True)
                code = now
            for name in scenarios:
                sc, params = SCENARIOS[name], params_for(name, args.quick)
                for client in order:
                    cmds = []
                    if sc.kind == "first":
                        cmds += [import_cmd(client)] * params["import_samples"]
                        cmds += [client_cmd(client, "first", server.port, {}, pin)] * params["first_samples"]
                    else:
                        cmds.append(client_cmd(client, sc.kind, server.port, params, pin))
                    for cmd in cmds:
                        start = time.perf_counter()
                        result = run_child(cmd, env, pin)
                        result["round"] = rnd + 1
                        runs.setdefault((name, client), []).append(result)
                        shown = " ".join(f"{m.key}={_fmt(result[m.key])}" for m in sc.metrics if m.key in result)
                        status = "ok" if result.get("ok") else f"INVALID: {result.get('problem')}"
                        print(
                            f"[round {rnd + 1}] {name} {client:22} {shown} {status} "
                            f"({time.perf_counter() - start:.1f}s)",
                            flush=True,
                        )
    finally:
        server.stop()
    return runs


def profile(client: str, scenario: str, quick: bool, sort: str, env: dict[str, str]) -> None:
    """Run one client on one scenario in this process under cProfile; print the top 25 functions."""
    import asyncio

    sc = SCENARIOS[scenario]
    if sc.kind == "first":
        raise SystemExit("S5 (imports and first call) is not profiled; use python -X importtime")
    server = Server(env, pin=False)
    try:
        _fakeserver.raise_fd_limit()
        _clients.import_client(client)
        prof = cProfile.Profile()
        result = asyncio.run(_clients.run(client, sc.kind, server.port, params_for(scenario, quick), prof))
    finally:
        server.stop()
    print(f"{client} on {scenario} ({sc.title}): " + json.dumps({k: v for k, v in result.items() if k != "problem"}))
    if result.get("problem"):
        print(f"verification FAILED: {result['problem']}")
    stats = pstats.Stats(prof)
    stats.sort_stats(sort).print_stats(25)
    if client == OURS:
        print("Only genai_async's own functions:")
        stats.print_stats(r"genai_async[/\\]", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds and smaller sizes (about 3 minutes)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, e.g. S1,S3")
    parser.add_argument(
        "--clients",
        default=",".join(c for c in _clients.CLIENTS if c not in _clients.VARIANTS),
        help="comma-separated client names",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 5, --quick 2)")
    parser.add_argument(
        "--peer-rounds", type=int, default=None, help="rounds that include the peers (default 2, --quick 1)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every run and the summary as JSON")
    parser.add_argument("--results", metavar="PATH", default=str(HERE / "RESULTS.md"), help="markdown output")
    parser.add_argument("--no-results", action="store_true", help="do not write the markdown results")
    parser.add_argument("--profile", nargs=2, metavar=("CLIENT", "SCENARIO"), help="cProfile one pair in-process")
    parser.add_argument("--profile-sort", default="tottime", help="pstats sort key for --profile")
    parser.add_argument(
        "--no-snapshot", action="store_true", help="import genai_async from the live tree, not a copy taken at start"
    )
    args = parser.parse_args()

    cache_dir = os.path.join(tempfile.gettempdir(), "genai_async_bench_pycache")
    if args.profile:
        client, scenario = args.profile
        if client not in _clients.CLIENTS or scenario not in SCENARIOS:
            parser.error(f"--profile takes one of {sorted(_clients.CLIENTS)} and one of {sorted(SCENARIOS)}")
        profile(client, scenario, args.quick, args.profile_sort, child_env(cache_dir))
        return
    if args.no_snapshot:
        benchmark(args, parser, child_env(cache_dir))
        return
    global CODE_ROOT
    with tempfile.TemporaryDirectory(prefix="genai_async_bench_") as tmp:
        CODE_ROOT = snapshot(tmp)
        try:
            benchmark(args, parser, child_env(cache_dir))
        finally:
            CODE_ROOT = ROOT


def benchmark(args: argparse.Namespace, parser: argparse.ArgumentParser, env: dict[str, str]) -> None:
    """Run the rounds, print the table, write RESULTS.md (and --json)."""

    args.rounds = max(1, args.rounds or (2 if args.quick else 5))
    args.peer_rounds = min(args.rounds, max(1, args.peer_rounds or (1 if args.quick else 2)))
    scenarios = [s.strip().upper() for s in args.scenarios.split(",") if s.strip()]
    wanted = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = [s for s in scenarios if s not in SCENARIOS] + [c for c in wanted if c not in _clients.CLIENTS]
    if unknown:
        parser.error(f"unknown scenario or client: {', '.join(unknown)}")
    if FLOOR not in wanted:
        wanted.insert(0, FLOOR)  # every ratio needs the floor
    missing = {c for c in wanted if not available(c)}
    clients = [c for c in wanted if c not in missing]
    pin = can_pin()
    command = "python benchmarks/run.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    info = machine()
    info["git"] = git_state()
    info["code"] = code_fingerprint(CODE_ROOT)
    load_before = load()
    wakeup = run_child([sys.executable, "-c", WAKEUP_CODE], env, pin).get("cpu_us_per_wakeup")
    print(
        f"{command}\n{info['cpu']}, {info['cores']} cores, Python {info['python']}; load {load_before}; "
        f"pinning {'on' if pin else 'OFF'}; idle wakeup {_fmt(wakeup)} µs CPU; clients: {', '.join(clients)}"
        + (f"; n/a: {', '.join(sorted(missing))}" if missing else ""),
        flush=True,
    )
    started = time.perf_counter()
    runs = run_rounds(args, clients, scenarios, env, pin)
    elapsed = time.perf_counter() - started
    rows = summarize(runs, scenarios, wanted, missing)
    print()
    print("\n".join(table(rows)))
    ours = [r for r in rows if r["client"] == OURS and r["result"]]
    print(
        f"\ngenai_async targets met: {sum(r['result'] == 'pass' for r in ours)} of {len(ours)}; "
        f"took {elapsed:.0f}s; load {load_before} -> {load()}"
    )
    for r in rows:
        if r["problems"]:
            print(f"invalid runs, {r['scenario']} {r['client']}: {'; '.join(r['problems'])}")

    transports = sorted({f"{r['client']}={r['transport']}" for r in rows if r["transport"]})
    notes = [
        f"{args.rounds} round(s) (the peers in {args.peer_rounds}), client order rotated each round; "
        f"{'quick sizes; ' if args.quick else ''}{elapsed:.0f}s in all; "
        f"load average {load_before} before, {load()} after (other work on the machine shows up in wall-time "
        "metrics far more than in CPU-time ones).",
        "Transports actually used: " + ", ".join(transports) + ".",
        f"Calibration: one idle event-loop wakeup (asyncio.sleep(0.002), no I/O) costs {_fmt(wakeup)} µs of CPU "
        "in a process pinned like the clients; S4 and S6 pay it about once per chunk whatever the client, so "
        "it is most of their floor.",
        "CPU time is the whole client process (every thread) over the measured section only; "
        "warm-up, imports and client construction are outside it (except in S5's first call).",
        "Each run verifies every chunk and all the text (count, length and CRC-32); invalid runs are left out "
        "of the medians and counted in the range column.",
        "S5's first call is client construction + one generate_content in a fresh process: for genai_async it "
        "includes importing aiohttp (lazily, in a worker thread, so the event loop keeps running: 'loop stall "
        "in first call' is the longest the loop was blocked, ticked every 1 ms). An application that opens the "
        "client first (`async with Client()`) pays the import there and its first call costs about what the "
        "floor's does.",
    ]
    if args.code_changes or code_fingerprint(CODE_ROOT) != info["code"]:
        notes.append(
            "WARNING: genai_async's source files changed during this run (noticed before round(s) "
            f"{', '.join(map(str, args.code_changes)) or '-'} or at the end), so its rows mix code versions."
        )
    elif CODE_ROOT != ROOT:
        changed = "changed during the run" if code_fingerprint(ROOT) != info["code"] else "did not change"
        notes.append(
            f"genai_async was imported from a copy of the working tree taken at the start (sources sha1 "
            f"{info['code']}); the working tree {changed}."
        )
    if missing:
        notes.append(f"Not installed, so not measured: {', '.join(sorted(missing))}.")
    if not pin:
        notes.append("CPU pinning was not possible here: server and clients shared cores.")
    if not args.no_results:
        write_results(Path(args.results), rows, command, info, notes)
        print(f"wrote {args.results}")
    if args.json:
        doc = {
            "command": command,
            "machine": info,
            "rows": rows,
            "runs": [{"scenario": s, "client": c, **r} for (s, c), rs in runs.items() for r in rs],
        }
        Path(args.json).write_text(json.dumps(doc, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
