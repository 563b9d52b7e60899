"""``--sweep``: raise the load step by step and find the saturation point (the knee).

Steps multiply the load by ``--sweep-factor`` (concurrency rounded up to a new whole number;
rate as is), starting at ``--concurrency`` or ``--rate``, at most ``--sweep-steps`` of them, each
one a full run (warm-up included) of ``--requests`` or ``--duration``. A rate sweep keeps
``--concurrency`` as its cap on requests in flight. A concurrency sweep bounded by ``--requests``
stops before a step whose concurrency exceeds the request count (it could never have that many in
flight, so a flat throughput there would be no knee) and says so. A step is judged against the
best step before it:

- ``saturated``: throughput (output tokens/s, or requests/s when no tokens are counted) grew by
  less than ``--sweep-min-gain`` (default 10 %);
- ``errors``: more than ``--sweep-max-errors`` of its requests failed (default 5 %);
- ``slo``: with SLOs set, fewer than ``--sweep-min-goodput`` of its requests met them (default 90 %).

The sweep stops at the first step that is not ``ok``; the knee is the last ``ok`` step: the
highest load that still bought throughput without errors or SLO misses. When every step is ``ok``
the service was not saturated (or the requests ran out) and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .config import BenchConfig
from .runner import StepResult


def throughput(summary: dict[str, Any]) -> float:
    tokens = float(summary.get("output_tokens_per_s") or 0.0)
    return tokens if tokens > 0 else float(summary.get("requests_per_s") or 0.0)


def verdict(summary: dict[str, Any], best: float | None, cfg: BenchConfig) -> str:
    """``ok`` or why this step ends the sweep (see the module docstring)."""
    total = summary.get("requests") or 0
    failed = summary.get("failed") or 0
    if total and failed / total > cfg.sweep_max_errors:
        return f"errors {failed / total:.0%} > {cfg.sweep_max_errors:.0%}"
    goodput = summary.get("goodput")
    if goodput is not None and goodput["share"] < cfg.sweep_min_goodput:
        return f"slo: goodput {goodput['share']:.0%} < {cfg.sweep_min_goodput:.0%}"
    if best is not None:
        now = throughput(summary)
        if now < best * (1.0 + cfg.sweep_min_gain):
            gain = now / best - 1.0 if best > 0 else 0.0
            return f"saturated: throughput {gain:+.0%} (< {cfg.sweep_min_gain:+.0%})"
    return "ok"


def next_load(value: float, factor: float, integer: bool) -> float:
    if integer:
        return float(max(int(value) + 1, math.ceil(value * factor)))
    return value * factor


def run_sweep(
    cfg: BenchConfig,
    run: Callable[[int | None, float | None], StepResult],
    on_step: Callable[[StepResult, str], None] | None = None,
) -> tuple[list[StepResult], list[str], int | None, str | None]:
    """Run steps until one is not ``ok``; returns the steps, their verdicts, the knee's index and,
    when the sweep ran out of requests before its last step, why it stopped."""
    integer = not cfg.rate
    value = float(cfg.rate) if cfg.rate else float(max(cfg.concurrency or 1, cfg.processes))
    steps: list[StepResult] = []
    verdicts: list[str] = []
    best: float | None = None
    for _ in range(cfg.sweep_steps):
        if steps and integer and cfg.requests is not None and value > cfg.requests:
            note = (
                f"stopped before concurrency {int(value)}: --requests {cfg.requests} cannot keep that many in "
                "flight; raise --requests to sweep further"
            )
            return steps, verdicts, knee_of(verdicts), note
        step = run(cfg.concurrency if cfg.rate else int(value), value if cfg.rate else None)
        said = verdict(step.summary, best, cfg)
        steps.append(step)
        verdicts.append(said)
        if on_step is not None:
            on_step(step, said)
        if said != "ok":
            break
        best = max(best or 0.0, throughput(step.summary))
        value = next_load(value, cfg.sweep_factor, integer)
    return steps, verdicts, knee_of(verdicts), None


def knee_of(verdicts: list[str]) -> int | None:
    """The index of the last ``ok`` step before the first other one (None when the first failed)."""
    knee = None
    for i, said in enumerate(verdicts):
        if said != "ok":
            break
        knee = i
    return knee
