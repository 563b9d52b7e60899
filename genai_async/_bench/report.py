"""What a run shows and keeps: the summary table, the sweep table, the JSON file, and ``compare``.

The JSON file (``--output``) holds the config, the summary, the mergeable histograms (so files can
be merged later, exactly) and every measured request: start (epoch seconds), ttft, the arrival of
every text chunk and the end (seconds after start), token counts and the error kind. A sweep file
holds one such block per step plus the knee; ``compare`` then uses the knee's summary.
"""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import Any

from .._version import __version__
from .config import BenchConfig
from .metrics import ERROR_KINDS
from .runner import StepResult

FORMAT = "genai-async-bench/1"
_LATENCIES = (("ttft_ms", "TTFT"), ("itl_ms", "inter-chunk"), ("tpot_ms", "TPOT"), ("e2e_ms", "end-to-end"))
_STATS = ("mean", "p50", "p90", "p99")
CPU_WARNING = 0.8
OVERLAP_WARNING = 0.8


def _n(value: float | None, digits: int = 1) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else f"{value:,.{digits}f}"


def header(cfg: BenchConfig, base_url: str | None) -> str:
    where = f"{base_url} (emulator)" if cfg.emulator else (base_url or "Gemini API")
    mode = "streaming" if cfg.stream else "unary"
    retries = "retries on" if cfg.retry else "retries off"
    workers = f"{cfg.processes} Ray task(s)" if cfg.ray else f"{cfg.processes} process(es)"
    return f"genai-async bench: {cfg.model} at {where}; {mode}, {retries}, {workers}, prompts: {cfg.prompt_source}\n"


def summary_table(step: StepResult) -> str:
    s = step.summary
    lines = [
        f"load         {step.load}" + (f" (+{step.warmup} warm-up requests not counted)" if step.warmup else ""),
        f"requests     {s['completed']} completed, {s['failed']} failed, in {s['duration_s']:.2f} s",
        f"throughput   {s['requests_per_s']:.2f} req/s, {s['output_tokens_per_s']:,.1f} output tokens/s "
        f"({s['output_tokens']:,} output, {s['input_tokens']:,} input, {s['thought_tokens']:,} thinking tokens)",
        f"sent         {_n(s.get('sent_per_s'), 2)} req/s between the first and the last request start",
    ]
    goodput = s.get("goodput")
    if goodput:
        goals = ", ".join(f"{k.removesuffix('_ms').upper()} <= {v:g} ms" for k, v in goodput["slo"].items() if v)
        lines.append(f"goodput      {goodput['requests']}/{s['requests']} met all SLOs ({goodput['share']:.1%}), "
                     f"{goodput['requests_per_s']:.2f} req/s  [{goals}]")
    lines.append("")
    lines.append(f"{'latency (ms)':<14}" + "".join(f"{h:>11}" for h in (*_STATS, "count")))
    for key, label in _LATENCIES:
        row = s[key]
        lines.append(f"{label:<14}" + "".join(f"{_n(row[h]):>11}" for h in _STATS) + f"{row['count']:>11,}")
    lines.append("")
    errors = s["errors"]
    shown = "  ".join(f"{kind}: {errors[kind]}" for kind in errors) if errors else "none"
    lines.append(f"errors       {shown}")
    examples: dict[str, str] = {}
    for record in step.records:
        if record.error is not None and record.error not in examples:
            examples[record.error] = record.detail or ""
    lines += [f"  e.g. {kind:<9}{detail}" for kind, detail in examples.items()]
    lines.append(f"client       {client_line(s['client'])}")
    return "\n".join(lines) + "\n"


def client_line(c: dict[str, Any]) -> str:
    per_chunk = c.get("cpu_per_chunk_us")
    return (f"{c['cpu_s']:.3f} s CPU in {c['workers']} worker(s), {_n(per_chunk)} µs per chunk over "
            f"{c['chunks']:,} chunks, busiest worker at {c['max_cpu_utilisation']:.0%} of a core")


def cpu_warning(summary: dict[str, Any]) -> str | None:
    """A warning when the busiest worker used more than ~80 % of a core (the tool may be the limit)."""
    busiest = summary["client"]["max_cpu_utilisation"]
    if busiest <= CPU_WARNING or summary["duration_s"] < 1.0:  # a blip of start-up work is no verdict
        return None
    return (f"warning: a load worker used {busiest:.0%} of a CPU core; the load generator may be the "
            "bottleneck. Spread it with --processes N (or --ray).\n")


def overlap_warning(summary: dict[str, Any]) -> str | None:
    """A warning when the workers did not run at the same time for most of the run."""
    overlap = summary["client"].get("workers_overlap")
    if overlap is None or overlap >= OVERLAP_WARNING or summary["duration_s"] < 1.0:
        return None
    return (f"warning: the {summary['client']['workers']} workers were all running for only {overlap:.0%} of the "
            "run window, so the load was lower than the configured one (with --ray: tasks wait when the cluster "
            "has fewer free CPUs than --processes).\n")


def host_warning(summary: dict[str, Any], processes: int) -> str | None:
    """A warning when the process serving the embedded emulator was near a full core."""
    used = summary["client"].get("host_cpu_utilisation")
    if used is None or used <= CPU_WARNING or summary["duration_s"] < 1.0:
        return None
    if processes == 1:
        return (f"warning: the load worker and the embedded emulator share this process and used {used:.0%} of a "
                "CPU core together: each slows the other, and the worker's CPU figure leaves out its waits. "
                "Run the workers in processes of their own with --processes 2.\n")
    return (f"warning: the embedded emulator's process used {used:.0%} of a CPU core: it, not the client, may be "
            "the limit; lower the load or point --base-url at a server of your own.\n")


def sweep_table(steps: list[StepResult], verdicts: list[str], knee: int | None, stopped: str | None = None) -> str:
    heads = ("step", "load", "req/s", "tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "E2E p50", "failed", "goodput")
    lines = [f"{heads[0]:<5}{heads[1]:<18}" + "".join(f"{h:>10}" for h in heads[2:]) + "  verdict"]
    for i, (step, said) in enumerate(zip(steps, verdicts, strict=True)):
        s = step.summary
        good = s.get("goodput")
        cells = (f"{s['requests_per_s']:.2f}", f"{s['output_tokens_per_s']:,.0f}", _n(s["ttft_ms"]["p50"]),
                 _n(s["ttft_ms"]["p99"]), _n(s["tpot_ms"]["p50"]), _n(s["e2e_ms"]["p50"]),
                 f"{s['failed']}/{s['requests']}", "-" if not good else f"{good['share']:.0%}")
        mark = "*" if i == knee else " "
        lines.append(f"{mark}{i + 1:<4}{step.load:<18}" + "".join(f"{c:>10}" for c in cells) + f"  {said}")
    if knee is None:
        lines.append("no knee: the first step already failed its checks; start lower")
    elif knee == len(steps) - 1 and verdicts[-1] == "ok":
        lines.append(f"not saturated after {len(steps)} steps: the knee is at least {steps[knee].load}")
        if stopped:
            lines.append(stopped)
    else:
        lines.append(f"knee (*): {steps[knee].load}, {steps[knee].summary['output_tokens_per_s']:,.0f} output "
                     f"tokens/s, {steps[knee].summary['requests_per_s']:.2f} req/s")
    return "\n".join(lines) + "\n"


def _step_json(step: StepResult) -> dict[str, Any]:
    return {"concurrency": step.concurrency, "rate": step.rate, "warmup": step.warmup, "summary": step.summary,
            "stats": step.stats.to_json(), "requests": [r.to_json() for r in step.records]}


def document(cfg: BenchConfig, base_url: str | None, steps: list[StepResult], verdicts: list[str] | None = None,
             knee: int | None = None, stopped: str | None = None) -> dict[str, Any]:
    """The JSON document of a run (one step) or a sweep (several, with verdicts and knee)."""
    doc: dict[str, Any] = {
        "format": FORMAT, "tool": f"genai-async {__version__}",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "config": cfg.to_json(), "base_url": base_url,
    }
    if verdicts is None:
        doc.update(_step_json(steps[0]))
        return doc
    doc["steps"] = [{**_step_json(s), "verdict": v} for s, v in zip(steps, verdicts, strict=True)]
    doc["knee"] = knee
    doc["stopped"] = stopped
    doc["summary"] = steps[knee].summary if knee is not None else None
    return doc


def write_json(path: str | pathlib.Path, doc: dict[str, Any]) -> None:
    pathlib.Path(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_run(path: str | pathlib.Path) -> dict[str, Any]:
    """A saved run; its ``summary`` is the knee's for a sweep. Raises ValueError when unusable."""
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("summary"), dict):
        raise ValueError(f"{path}: not a genai-async bench --output file (or a sweep without a knee)")
    return doc


def _rows(s: dict[str, Any], kinds: set[str]) -> list[tuple[str, float | None, bool]]:
    """(label, value, higher-is-better) for every compared number; errors of ``kinds`` (0 when none)."""
    rows: list[tuple[str, float | None, bool]] = [
        ("requests completed", s["completed"], True), ("requests failed", s["failed"], False),
        ("requests/s", s["requests_per_s"], True), ("sent requests/s", s.get("sent_per_s"), True),
        ("output tokens/s", s["output_tokens_per_s"], True),
        ("output tokens", s["output_tokens"], True),
    ]
    if s.get("goodput"):
        good = s["goodput"]
        rows += [("goodput share", good["share"], True), ("goodput req/s", good["requests_per_s"], True)]
    for key, label in _LATENCIES:
        rows += [(f"{label} {h} (ms)", s[key][h], False) for h in _STATS]
    for kind in ERROR_KINDS:
        if kind in kinds:
            rows.append((f"errors {kind}", s["errors"].get(kind, 0), False))
    rows.append(("client µs/chunk", s["client"].get("cpu_per_chunk_us"), False))
    return rows


def compare(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> str:
    """Both summaries side by side with B - A and the relative change."""
    lines = [f"A: {names[0]}  ({_describe(a)})", f"B: {names[1]}  ({_describe(b)})", ""]
    lines.append(f"{'metric':<24}{'A':>14}{'B':>14}{'delta':>14}{'change':>10}")
    kinds = {*a["summary"]["errors"], *b["summary"]["errors"]}
    b_rows = {label: value for label, value, _ in _rows(b["summary"], kinds)}
    labels = [label for label, _, _ in _rows(a["summary"], kinds)]
    labels += [label for label in b_rows if label not in labels]
    a_rows = {label: (value, better) for label, value, better in _rows(a["summary"], kinds)}
    for label in labels:
        va = a_rows.get(label, (None, True))[0]
        vb = b_rows.get(label)
        delta = None if va is None or vb is None else vb - va
        change = "-" if delta is None or not va else f"{delta / va:+.1%}"
        lines.append(f"{label:<24}{_n(va, 2):>14}{_n(vb, 2):>14}{_signed(delta):>14}{change:>10}")
    return "\n".join(lines) + "\n"


def _signed(value: float | None) -> str:
    if isinstance(value, int):
        return f"{value:+,}"
    return "-" if value is None else f"{value:+,.2f}"


def _describe(doc: dict[str, Any]) -> str:
    c = doc.get("config", {})
    at = doc["steps"][doc["knee"]] if doc.get("steps") and doc.get("knee") is not None else doc
    load = f"rate {at.get('rate'):g}/s" if at.get("rate") else f"concurrency {at.get('concurrency')}"
    kind = "sweep knee" if "steps" in doc else "run"
    return f"{kind}, {c.get('model')}, {load}, {'stream' if c.get('stream', True) else 'unary'}, {doc.get('created')}"
