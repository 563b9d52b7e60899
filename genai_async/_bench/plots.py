"""``--plots DIR``: PNG charts of a run, drawn with matplotlib when it is installed (the ``plot`` extra).

- ``latency_cdf.png``: the empirical CDFs of TTFT, inter-chunk latency, TPOT and end-to-end
  latency, from the raw per-request samples (not from histogram buckets);
- ``throughput.png``: output tokens/s (by chunk arrival) and completed and failed requests/s (by
  completion) over the run;
- ``sweep.png`` (sweeps): throughput and TTFT/TPOT percentiles per step, the knee marked.

matplotlib is imported only here, with the non-interactive Agg backend, when plots are asked for.
"""

from __future__ import annotations

import importlib
import pathlib
from types import ModuleType
from typing import Any

from .metrics import RequestRecord
from .runner import StepResult


class PlotsUnavailable(RuntimeError):
    """``--plots`` was asked for but matplotlib is not installed."""


def _pyplot() -> ModuleType:
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError as exc:
        raise PlotsUnavailable(
            "--plots needs matplotlib: pip install 'genai-async[plot]' (the run itself finished and was reported)"
        ) from exc
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def _cdf(ax: Any, values: list[float], title: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("ms")
    ax.set_ylabel("share of samples")
    ax.grid(True, alpha=0.3)
    if not values:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        return
    xs = sorted(v * 1e3 for v in values)
    ys = [(i + 1) / len(xs) for i in range(len(xs))]
    ax.step(xs, ys, where="post")


def latency_cdf(plt: ModuleType, records: list[RequestRecord], path: pathlib.Path) -> None:
    ok = [r for r in records if r.error is None]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    _cdf(axes[0][0], [r.ttft for r in ok if r.ttft is not None], "time to first token")
    _cdf(axes[0][1], [g for r in ok for g in r.gaps()], "inter-chunk latency")
    _cdf(axes[1][0], [t for r in ok if (t := r.tpot) is not None], "time per output token")
    _cdf(axes[1][1], [r.end for r in ok], "end-to-end latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _bin_width(span: float) -> float:
    """A round bin width giving at most about 30 bins over ``span`` seconds (at least 0.1 s)."""
    for width in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if span / width <= 30:
            return float(width)
    return span / 30


def throughput_over_time(plt: ModuleType, records: list[RequestRecord], path: pathlib.Path) -> None:
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
    xs = [i * width for i in range(bins)]
    left.step(xs, tokens, where="post", color="tab:blue", label="output tokens/s")
    left.set_xlabel(f"seconds since the first request ({width:g} s bins)")
    left.set_ylabel("output tokens/s")
    right = left.twinx()
    right.step(xs, done, where="post", color="tab:green", label="completed req/s")
    right.bar(xs, failed, width=width, align="edge", color="tab:red", alpha=0.5, label="failed req/s")
    right.set_ylabel("requests/s")
    handles = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left")
    left.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sweep_chart(plt: ModuleType, steps: list[StepResult], knee: int | None, path: pathlib.Path) -> None:
    labels = [s.load for s in steps]
    xs = list(range(len(steps)))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    top.plot(xs, [s.summary["output_tokens_per_s"] for s in steps], marker="o", label="output tokens/s")
    top.set_ylabel("output tokens/s")
    for key, name in (("ttft_ms", "TTFT"), ("tpot_ms", "TPOT")):
        for q in ("p50", "p99"):
            bottom.plot(xs, [s.summary[key][q] for s in steps], marker=".", label=f"{name} {q}")
    bottom.set_ylabel("ms")
    bottom.set_xticks(xs, labels, rotation=20)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.legend()
        if knee is not None:
            ax.axvline(knee, color="tab:red", linestyle="--")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_plots(directory: str | pathlib.Path, steps: list[StepResult], knee: int | None = None,
                sweep: bool = False) -> list[pathlib.Path]:
    """Write the PNGs for a run (or a sweep's knee step plus the sweep chart); returns their paths."""
    plt = _pyplot()
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    shown = steps[knee if knee is not None else -1]
    paths = [out / "latency_cdf.png", out / "throughput.png"]
    latency_cdf(plt, shown.records, paths[0])
    throughput_over_time(plt, shown.records, paths[1])
    if sweep:
        paths.append(out / "sweep.png")
        sweep_chart(plt, steps, knee, paths[2])
    return paths
