"""What a run shows and keeps: the summary table, the sweep table, the JSON file, and ``compare``.

The JSON file (``--output``) holds the config, the summary, the mergeable histograms (so files can
be merged later, exactly) and every measured request: start (epoch seconds), ttft, the arrival of
every text chunk and the end (seconds after start), token counts and the error kind. A sweep file
holds one such block per step plus the knee (``summary`` is the knee's, or null when no step
passed). ``compare`` of two sweeps puts every step side by side, then the knees; a sweep against a
single run compares the sweep's knee (its first step when it has none) with the run. Files of the
earlier format ``genai-async-bench/1`` (where a request's ``end`` was its latency) still load.
"""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import Any

from ..._version import __version__
from .config import BenchConfig
from .metrics import ERROR_KINDS
from .runner import StepResult

FORMAT = "genai-async-bench/2"
_FORMATS = ("genai-async-bench/1", FORMAT)
_LATENCIES = (("ttft_ms", "TTFT"), ("itl_ms", "inter-chunk"), ("tpot_ms", "TPOT"), ("e2e_ms", "end-to-end"))
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
        lines.append(
            f"goodput      {goodput['requests']}/{s['requests']} met all SLOs ({goodput['share']:.1%}), "
            f"{goodput['requests_per_s']:.2f} req/s  [{goals}]"
        )
    lines.append("")
    heads = _stats_of(s)
    lines.append(f"{'latency (ms)':<14}" + "".join(f"{h:>10}" for h in (*heads, "count")))
    for key, label in _LATENCIES:
        row = s[key]
        lines.append(f"{label:<14}" + "".join(f"{_n(row.get(h)):>10}" for h in heads) + f"{row['count']:>10,}")
    lines.append("")
    errors = s["errors"]
    shown = "  ".join(f"{kind}: {errors[kind]}" for kind in errors) if errors else "none"
    lines.append(f"errors       {shown}")
    examples: dict[str, str] = {}
    for record in step.records:
        if record.error is not None and record.error not in examples:
            examples[record.error] = record.detail or ""
    lines += [f"  e.g. {kind:<10} {detail}" for kind, detail in examples.items()]
    lines.append(f"client       {client_line(s['client'], s['duration_s'])}")
    return "\n".join(lines) + "\n"


def _stats_of(s: dict[str, Any]) -> list[str]:
    """The columns of the latency table: mean, std and the percentiles this summary has, in order."""
    row = s["ttft_ms"]
    percentiles = sorted((k for k in row if k.startswith("p")), key=lambda k: float(k[1:]))
    return ["mean", "std", *percentiles] if "std" in row else ["mean", *percentiles]


def client_line(c: dict[str, Any], duration: float | None = None) -> str:
    per_chunk = c.get("cpu_per_chunk_us")
    busiest = (
        f"busiest worker at {c['max_cpu_utilisation']:.0%} of a core"
        if duration is None or duration >= 1.0
        else "run too short to judge how busy the workers were"
    )
    return (
        f"{c['cpu_s']:.3f} s CPU in {c['workers']} worker(s), {_n(per_chunk)} µs per chunk over "
        f"{c['chunks']:,} chunks, {busiest}"
    )


def cpu_warning(summary: dict[str, Any]) -> str | None:
    """A warning when the busiest worker used more than ~80 % of a core (the tool may be the limit)."""
    busiest = summary["client"]["max_cpu_utilisation"]
    if busiest <= CPU_WARNING or summary["duration_s"] < 1.0:  # a blip of start-up work is no verdict
        return None
    return (
        f"warning: a load worker used {busiest:.0%} of a CPU core; the load generator may be the "
        "bottleneck. Spread it with --processes N (or --ray).\n"
    )


def overlap_warning(summary: dict[str, Any]) -> str | None:
    """A warning when the workers did not run at the same time for most of the run."""
    overlap = summary["client"].get("workers_overlap")
    if overlap is None or overlap >= OVERLAP_WARNING or summary["duration_s"] < 1.0:
        return None
    return (
        f"warning: the {summary['client']['workers']} workers were all running for only {overlap:.0%} of the "
        "run window, so the load was lower than the configured one (with --ray: tasks wait when the cluster "
        "has fewer free CPUs than --processes).\n"
    )


def host_warning(summary: dict[str, Any], processes: int) -> str | None:
    """A warning when the process serving the embedded emulator was near a full core."""
    used = summary["client"].get("host_cpu_utilisation")
    if used is None or used <= CPU_WARNING or summary["duration_s"] < 1.0:
        return None
    if processes == 1:
        return (
            f"warning: the load worker and the embedded emulator share this process and used {used:.0%} of a "
            "CPU core together: each slows the other, and the worker's CPU figure leaves out its waits. "
            "Run the workers in processes of their own with --processes 2.\n"
        )
    return (
        f"warning: the embedded emulator's process used {used:.0%} of a CPU core: it, not the client, may be "
        "the limit; lower the load or point --base-url at a server of your own.\n"
    )


def sweep_table(steps: list[StepResult], verdicts: list[str], knee: int | None, stopped: str | None = None) -> str:
    heads = ("step", "load", "req/s", "tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "E2E p50", "failed", "goodput")
    lines = [f"{heads[0]:<5}{heads[1]:<18}" + "".join(f"{h:>10}" for h in heads[2:]) + "  verdict"]
    for i, (step, said) in enumerate(zip(steps, verdicts, strict=True)):
        s = step.summary
        good = s.get("goodput")
        cells = (
            f"{s['requests_per_s']:.2f}",
            f"{s['output_tokens_per_s']:,.0f}",
            _n(s["ttft_ms"].get("p50")),
            _n(s["ttft_ms"].get("p99")),
            _n(s["tpot_ms"].get("p50")),
            _n(s["e2e_ms"].get("p50")),
            f"{s['failed']}/{s['requests']}",
            "-" if not good else f"{good['share']:.0%}",
        )
        mark = "*" if i == knee else " "
        lines.append(f"{mark}{i + 1:<4}{step.load:<18}" + "".join(f"{c:>10}" for c in cells) + f"  {said}")
    if knee is None:
        lines.append(_no_knee(steps[0], verdicts[0]))
    elif knee == len(steps) - 1 and verdicts[-1] == "ok":
        lines.append(f"not saturated after {len(steps)} steps: the knee is at least {steps[knee].load}")
        if stopped:
            lines.append(stopped)
    else:
        lines.append(
            f"knee (*): {steps[knee].load}, {steps[knee].summary['output_tokens_per_s']:,.0f} output "
            f"tokens/s, {steps[knee].summary['requests_per_s']:.2f} req/s"
        )
    return "\n".join(lines) + "\n"


def _no_knee(first: StepResult, said: str) -> str:
    """Why the very first step failed, and what to change (lower load only helps above the minimum)."""
    lightest = first.rate is None and (first.concurrency or 1) <= 1
    if said.startswith("slo") and lightest:
        s = first.summary
        shown = (("ttft_ms", "TTFT"), ("tpot_ms", "TPOT"), ("e2e_ms", "E2E"))
        seen = ", ".join(f"{name} p50 {_n(s[key]['p50'])} ms" for key, name in shown)
        return (
            f"no knee: even one request at a time missed the SLOs ({seen}); the service is slower than the "
            "goals when idle: relax --slo-ttft/--slo-tpot/--slo-e2e (or use a faster model/settings)"
        )
    if said.startswith("errors") and lightest:
        return "no knee: requests failed even one at a time; see the errors below"
    knob = "--rate" if first.rate else "--concurrency"
    return f"no knee: the first step ({first.load}) already failed its checks; start lower with {knob}"


def _step_json(step: StepResult) -> dict[str, Any]:
    return {
        "concurrency": step.concurrency,
        "rate": step.rate,
        "warmup": step.warmup,
        "summary": step.summary,
        "stats": step.stats.to_json(),
        "requests": [r.to_json() for r in step.records],
    }


def document(
    cfg: BenchConfig,
    base_url: str | None,
    steps: list[StepResult],
    verdicts: list[str] | None = None,
    knee: int | None = None,
    stopped: str | None = None,
) -> dict[str, Any]:
    """The JSON document of a run (one step) or a sweep (several, with verdicts and knee)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "tool": f"genai-async {__version__}",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "config": cfg.to_json(),
        "base_url": base_url,
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
    """A saved run or sweep (with or without a knee). Raises ValueError when unusable."""
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from exc
    usable = (
        isinstance(doc, dict)
        and doc.get("format") in _FORMATS
        and (isinstance(doc.get("summary"), dict) or (isinstance(doc.get("steps"), list) and doc["steps"]))
    )
    if not usable:
        raise ValueError(f"{path}: not a genai-async bench --output file")
    return dict(doc)


def _headline(doc: dict[str, Any]) -> dict[str, Any]:
    """The step a file stands for: the run itself, a sweep's knee, or its first step when it has none."""
    if not doc.get("steps"):
        return doc
    knee = doc.get("knee")
    return dict(doc["steps"][knee if knee is not None else 0])


def _rows(s: dict[str, Any], kinds: set[str]) -> list[tuple[str, float | None, bool]]:
    """(label, value, higher-is-better) for every compared number; errors of ``kinds`` (0 when none)."""
    rows: list[tuple[str, float | None, bool]] = [
        ("requests completed", s["completed"], True),
        ("requests failed", s["failed"], False),
        ("requests/s", s["requests_per_s"], True),
        ("sent requests/s", s.get("sent_per_s"), True),
        ("output tokens/s", s["output_tokens_per_s"], True),
        ("output tokens", s["output_tokens"], True),
    ]
    if s.get("goodput"):
        good = s["goodput"]
        rows += [("goodput share", good["share"], True), ("goodput req/s", good["requests_per_s"], True)]
    for key, label in _LATENCIES:
        rows += [(f"{label} {h} (ms)", s[key].get(h), False) for h in _stats_of(s)]
    for kind in ERROR_KINDS:
        if kind in kinds:
            rows.append((f"errors {kind}", s["errors"].get(kind, 0), False))
    rows.append(("client µs/chunk", s["client"].get("cpu_per_chunk_us"), False))
    return rows


def compare(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> str:
    """Both files side by side with B - A and the relative change; two sweeps step by step."""
    lines = [f"A: {names[0]}  ({_describe(a)})", f"B: {names[1]}  ({_describe(b)})", ""]
    if a.get("steps") and b.get("steps"):
        steps_a, steps_b = a["steps"], b["steps"]
        for i in range(max(len(steps_a), len(steps_b))):
            sa = steps_a[i] if i < len(steps_a) else None
            sb = steps_b[i] if i < len(steps_b) else None
            lines.append(f"step {i + 1}: A {_load_of(sa)} ({_verdict_of(sa)}) | B {_load_of(sb)} ({_verdict_of(sb)})")
            if sa is not None and sb is not None:
                lines += _table(sa["summary"], sb["summary"], brief=True)
            lines.append("")
        lines.append(f"knee: A {_knee_text(a)} | B {_knee_text(b)}")
        lines.append("")
    ha, hb = _headline(a), _headline(b)
    lines.append(f"{_what(a)} vs {_what(b)}:")
    lines += _table(ha["summary"], hb["summary"])
    return "\n".join(lines) + "\n"


_BRIEF = (
    "requests/s",
    "output tokens/s",
    "requests failed",
    "goodput share",
    "TTFT p50 (ms)",
    "TTFT p99 (ms)",
    "TPOT p50 (ms)",
    "end-to-end p50 (ms)",
)


def _table(sa: dict[str, Any], sb: dict[str, Any], brief: bool = False) -> list[str]:
    kinds = {*sa["errors"], *sb["errors"]}
    a_rows = {label: value for label, value, _ in _rows(sa, kinds)}
    b_rows = {label: value for label, value, _ in _rows(sb, kinds)}
    labels = [*a_rows, *(label for label in b_rows if label not in a_rows)]
    if brief:
        labels = [label for label in labels if label in _BRIEF]
    lines = [f"  {'metric':<22}{'A':>14}{'B':>14}{'delta':>14}{'change':>10}"]
    for label in labels:
        va, vb = a_rows.get(label), b_rows.get(label)
        delta = None if va is None or vb is None else vb - va
        change = "-" if delta is None or not va else f"{delta / va:+.1%}"
        lines.append(f"  {label:<22}{_n(va, 2):>14}{_n(vb, 2):>14}{_signed(delta):>14}{change:>10}")
    return lines


def _load_of(step: dict[str, Any] | None) -> str:
    if step is None:
        return "(no such step)"
    return f"{step['rate']:g} req/s" if step.get("rate") else f"concurrency {step.get('concurrency')}"


def _verdict_of(step: dict[str, Any] | None) -> str:
    return "-" if step is None else str(step.get("verdict", "-"))


def _knee_text(doc: dict[str, Any]) -> str:
    knee = doc.get("knee")
    if knee is None:
        return "none (no step passed)"
    s = doc["steps"][knee]
    return f"{_load_of(s)}, {s['summary']['output_tokens_per_s']:,.0f} output tokens/s"


def _what(doc: dict[str, Any]) -> str:
    if not doc.get("steps"):
        return "run"
    return "knee" if doc.get("knee") is not None else "first step (no knee)"


def _signed(value: float | None) -> str:
    if isinstance(value, int):
        return f"{value:+,}"
    return "-" if value is None else f"{value:+,.2f}"


def _describe(doc: dict[str, Any]) -> str:
    c = doc.get("config", {})
    at = _headline(doc)
    kind = ("sweep knee" if doc.get("knee") is not None else "sweep without a knee") if doc.get("steps") else "run"
    return (
        f"{kind}, {c.get('model')}, {_load_of(at)}, {'stream' if c.get('stream', True) else 'unary'}, "
        f"{doc.get('created')}"
    )
