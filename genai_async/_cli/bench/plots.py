"""``--plots DIR``: PNG charts of a run, drawn with matplotlib when it is installed (the ``plot`` extra).

- ``latency_cdf.png``: the empirical CDFs of TTFT, inter-chunk latency, TPOT and end-to-end
  latency, from the raw per-request samples (not from histogram buckets), each with its SLO line;
- ``throughput.png``: output tokens/s (by chunk arrival) and completed and failed requests/s (by
  completion) over the run;
- ``sweep.png`` (sweeps): per step, throughput, then TTFT and TPOT percentiles on axes of their own
  (their scales differ a hundredfold), SLO lines, the knee marked;
- ``throughput_latency.png`` (sweeps): latency against throughput, one point per step, the curve
  vLLM/GuideLLM users read a serving system's capacity from: where latency turns up is the knee.

Every chart has a title, axis units and a legend. The ``*_figure`` functions build a figure and
return it (tests inspect them); :func:`write_plots` saves and closes them. matplotlib is imported
only here, with the non-interactive Agg backend, when plots are asked for.
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .metrics import RequestRecord, Slo
from .runner import StepResult

_SLO_STYLE: dict[str, Any] = {"color": "tab:red", "linestyle": "--", "linewidth": 1.2}


class PlotsUnavailable(RuntimeError):
    """``--plots`` was asked for but matplotlib is not installed."""


def pyplot() -> ModuleType:
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError as exc:
        raise PlotsUnavailable(
            "--plots needs matplotlib: pip install 'genai-async[plot]' (the run itself finished and was reported)"
        ) from exc
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def _cdf(ax: Any, values: list[float], title: str, slo: float | None) -> None:
    ax.set_title(title)
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("share of requests at or below")
    ax.grid(True, alpha=0.3)
    if not values:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    else:
        xs = sorted(v * 1e3 for v in values)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        ax.step(xs, ys, where="post", label=f"{len(xs):,} samples")
    if slo is not None:
        ax.axvline(slo * 1e3, label=f"SLO {slo * 1e3:g} ms", **_SLO_STYLE)
    if values or slo is not None:
        ax.legend(loc="lower right")


def latency_cdf_figure(plt: ModuleType, step: StepResult, slo: Slo) -> Any:
    ok = [r for r in step.records if r.error is None]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    fig.suptitle(f"Latency distributions at {step.load} ({len(ok):,} successful requests)")
    _cdf(axes[0][0], [r.ttft for r in ok if r.ttft is not None], "Time to first token (TTFT)", slo.ttft)
    _cdf(axes[0][1], [g for r in ok for g in r.gaps()], "Inter-chunk latency", None)
    _cdf(axes[1][0], [t for r in ok if (t := r.tpot) is not None], "Time per output token (TPOT)", slo.tpot)
    _cdf(axes[1][1], [r.end for r in ok], "End-to-end latency", slo.e2e)
    fig.tight_layout()
    return fig


def _bin_width(span: float) -> float:
    """A round bin width giving at most about 30 bins over ``span`` seconds (at least 0.1 s)."""
    for width in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if span / width <= 30:
            return float(width)
    return span / 30


def throughput_figure(plt: ModuleType, step: StepResult) -> Any:
    records: list[RequestRecord] = step.records
    first = min((r.start for r in records), default=0.0)
    span = max((r.start + r.end - first for r in records), default=0.0)
    width = _bin_width(span)
    bins = int(span // width) + 1
    done, tokens, failed = [0.0] * bins, [0.0] * bins, [0.0] * bins
    for r in records:
        at = int((r.start + r.end - first) // width)
        if r.error is not None:
            failed[at] += 1 / width
            continue
        done[at] += 1 / width
        # Tokens are spread over the request's text chunks, counted when each chunk arrived.
        share = (r.output_tokens or 0) / max(1, len(r.chunks)) / width
        for chunk in r.chunks or [r.end]:
            tokens[min(bins - 1, int((r.start + chunk - first) // width))] += share
    fig, left = plt.subplots(figsize=(11, 4.5))
    left.set_title(f"Throughput over time at {step.load}")
    xs = [i * width for i in range(bins)]
    left.step(xs, tokens, where="post", color="tab:blue", label="output tokens/s")
    left.set_xlabel(f"seconds since the first request ({width:g} s bins)")
    left.set_ylabel("output tokens/s")
    right = left.twinx()
    right.step(xs, done, where="post", color="tab:green", label="completed requests/s")
    right.bar(xs, failed, width=width, align="edge", color="tab:red", alpha=0.5, label="failed requests/s")
    right.set_ylabel("requests/s")
    handles = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left")
    left.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def _percentile_lines(ax: Any, xs: list[Any], steps: list[StepResult], key: str, name: str, slo: float | None) -> None:
    for q, marker in (("p50", "o"), ("p99", "^")):
        ax.plot(xs, [s.summary[key].get(q) for s in steps], marker=marker, label=f"{name} {q}")
    if slo is not None:
        ax.axhline(slo * 1e3, label=f"SLO {slo * 1e3:g} ms", **_SLO_STYLE)
    ax.set_ylabel(f"{name} (ms)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")


def _knee_title(steps: list[StepResult], knee: int | None) -> str:
    return f"knee at {steps[knee].load}" if knee is not None else "no knee (the first step failed its checks)"


def sweep_figure(plt: ModuleType, steps: list[StepResult], knee: int | None, slo: Slo) -> Any:
    xs = list(range(len(steps)))
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 9.5), sharex=True)
    fig.suptitle(f"Load sweep: {_knee_title(steps, knee)}")
    top.set_title("Throughput per step")
    top.plot(xs, [s.summary["output_tokens_per_s"] for s in steps], marker="o", label="output tokens/s")
    top.set_ylabel("output tokens/s")
    top.grid(True, alpha=0.3)
    top.legend(loc="upper left")
    middle.set_title("Time to first token")
    _percentile_lines(middle, xs, steps, "ttft_ms", "TTFT", slo.ttft)
    bottom.set_title("Time per output token")
    _percentile_lines(bottom, xs, steps, "tpot_ms", "TPOT", slo.tpot)
    bottom.set_xticks(xs, [s.load for s in steps], rotation=20)
    bottom.set_xlabel("load (step)")
    if knee is not None:
        for ax in (top, middle, bottom):
            ax.axvline(knee, color="tab:gray", linestyle=":", label="knee")
    fig.tight_layout()
    return fig


def throughput_latency_figure(plt: ModuleType, steps: list[StepResult], knee: int | None, slo: Slo) -> Any:
    xs = [s.summary["output_tokens_per_s"] for s in steps]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    fig.suptitle(f"Latency against throughput across the sweep ({_knee_title(steps, knee)})")
    for ax, key, name, goal in ((axes[0], "ttft_ms", "TTFT", slo.ttft), (axes[1], "tpot_ms", "TPOT", slo.tpot)):
        ax.set_title(f"{'Time to first token' if name == 'TTFT' else 'Time per output token'} vs throughput")
        _percentile_lines(ax, xs, steps, key, name, goal)
        ax.set_xlabel("output tokens/s")
        for step, x in zip(steps, xs, strict=True):
            ax.annotate(
                step.load.replace("concurrency ", "c="),
                (x, step.summary[key].get("p50") or 0),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
        if knee is not None:
            ax.axvline(xs[knee], color="tab:gray", linestyle=":", label="knee")
            ax.legend(loc="best")
    fig.tight_layout()
    return fig


def write_plots(
    directory: str | pathlib.Path,
    steps: list[StepResult],
    knee: int | None = None,
    sweep: bool = False,
    slo: Slo | None = None,
) -> list[pathlib.Path]:
    """Write the PNGs for a run (or a sweep's knee step plus the sweep charts); returns their paths."""
    plt = pyplot()
    goals = slo or Slo()
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    shown = steps[knee if knee is not None else -1]
    builders: list[tuple[str, Callable[[], Any]]] = [
        ("latency_cdf.png", lambda: latency_cdf_figure(plt, shown, goals)),
        ("throughput.png", lambda: throughput_figure(plt, shown)),
    ]
    if sweep:
        builders += [
            ("sweep.png", lambda: sweep_figure(plt, steps, knee, goals)),
            ("throughput_latency.png", lambda: throughput_latency_figure(plt, steps, knee, goals)),
        ]
    paths = []
    for name, build in builders:
        fig = build()  # one figure open at a time, closed even when saving fails
        try:
            fig.savefig(out / name, dpi=100)
        finally:
            plt.close(fig)
        paths.append(out / name)
    return paths
