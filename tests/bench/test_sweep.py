"""Sweep verdicts and the knee, with fake steps (no I/O)."""

from __future__ import annotations

from typing import Any

from genai_async._cli.bench.config import BenchConfig, split, worker_specs
from genai_async._cli.bench.metrics import Slo, Stats
from genai_async._cli.bench.runner import StepResult
from genai_async._cli.bench.sweep import knee_of, next_load, run_sweep, verdict


def cfg(**kw: Any) -> BenchConfig:
    return BenchConfig(model="m", prompts=["p"], prompt_source="test", api_key="k", **kw)


def summary(tok_s: float, failed: int = 0, good: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "requests": 100,
        "failed": failed,
        "output_tokens_per_s": tok_s,
        "requests_per_s": tok_s / 100,
    }
    out["goodput"] = None if good is None else {"share": good}
    return out


def test_verdicts() -> None:
    c = cfg(sweep_min_gain=0.1, sweep_max_errors=0.05, sweep_min_goodput=0.9)
    assert verdict(summary(100), None, c) == "ok"
    assert verdict(summary(120), 100, c) == "ok"
    assert verdict(summary(105), 100, c).startswith("saturated")
    assert verdict(summary(300, failed=6), 100, c).startswith("errors 6%")
    assert verdict(summary(300, good=0.8), 100, c).startswith("slo")
    assert knee_of(["ok", "ok", "saturated"]) == 1
    assert knee_of(["errors"]) is None
    assert knee_of(["ok", "ok"]) == 1


def test_sweep_doubles_until_throughput_stops_growing() -> None:
    seen: list[int] = []

    def run(concurrency: int | None, rate: float | None) -> StepResult:
        assert concurrency is not None
        seen.append(concurrency)
        tok = {1: 100, 2: 200, 4: 390, 8: 400}[concurrency]
        return StepResult(concurrency, rate, [], Stats(), summary(tok), 0)

    steps, verdicts, knee, stopped = run_sweep(cfg(concurrency=1, sweep_steps=6), run)
    assert seen == [1, 2, 4, 8]
    assert verdicts[:3] == ["ok", "ok", "ok"] and verdicts[3].startswith("saturated")
    assert knee == 2 and steps[knee].concurrency == 4 and stopped is None


def test_sweep_stops_where_the_request_count_cannot_fill_a_step() -> None:
    seen: list[int] = []

    def run(concurrency: int | None, rate: float | None) -> StepResult:
        assert concurrency is not None
        seen.append(concurrency)
        return StepResult(concurrency, rate, [], Stats(), summary(100.0 * concurrency), 0)

    steps, verdicts, knee, stopped = run_sweep(cfg(concurrency=2, requests=8, sweep_steps=6), run)
    assert seen == [2, 4, 8]  # 16 loops could never be busy with 8 requests: no step, no false knee
    assert verdicts == ["ok"] * 3 and knee == 2
    assert stopped is not None and "concurrency 16" in stopped and "--requests 8" in stopped


def test_rate_sweep_and_load_steps() -> None:
    rates: list[float] = []

    def run(concurrency: int | None, rate: float | None) -> StepResult:
        assert rate is not None and concurrency == 3  # every rate step keeps the --concurrency cap
        rates.append(rate)
        return StepResult(concurrency, rate, [], Stats(), summary(rate * 10, failed=50 if rate > 3 else 0), 0)

    _, verdicts, knee, _ = run_sweep(cfg(rate=1.0, concurrency=3, requests=2, sweep_factor=1.5), run)
    assert rates == [1.0, 1.5, 2.25, 3.375] and knee == 2 and verdicts[-1].startswith("errors")
    assert next_load(3, 1.2, integer=True) == 4  # concurrency always grows by at least one


def test_load_splits_over_workers_add_up() -> None:
    assert split(10, 3) == [4, 3, 3] and sum(split(7, 7)) == 7
    specs = worker_specs(
        cfg(requests=10, warmup_requests=3, processes=3, max_in_flight=4, rpm=60, slo=Slo(ttft=1)),
        "http://x",
        concurrency=5,
        rate=None,
    )
    assert [s.concurrency for s in specs] == [2, 2, 1]
    assert [s.requests for s in specs] == [4, 3, 3]
    assert [s.warmup_requests for s in specs] == [1, 1, 1]
    assert [s.max_in_flight for s in specs] == [2, 1, 1]
    assert [s.rpm for s in specs] == [20, 20, 20]
    rated = worker_specs(cfg(duration=2, processes=2), None, concurrency=None, rate=9.0)
    assert [s.rate for s in rated] == [4.5, 4.5] and rated[0].concurrency is None
