"""The --plots charts: titles, units, SLO lines, TTFT and TPOT apart, latency against throughput."""

from __future__ import annotations

import importlib.util
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from genai_async._cli.bench import plots
from genai_async._cli.bench.metrics import RequestRecord, Slo, stats_of
from genai_async._cli.bench.runner import StepResult

pytestmark = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib is not installed")

SLO = Slo(ttft=0.8, tpot=0.04, e2e=3.0)


def step(concurrency: int, slow: float) -> StepResult:
    records = [
        RequestRecord(
            i,
            0,
            100.0 + i / 4,
            end=2.0 * slow,
            ttft=0.5 * slow,
            chunks=[0.5 * slow, 1.2 * slow, 2.0 * slow],
            output_tokens=40,
        )
        for i in range(12)
    ]
    stats = stats_of(records, SLO)
    return StepResult(concurrency, None, records, stats, stats.summary(SLO), 0)


@pytest.fixture
def plt() -> Iterator[Any]:
    pyplot = plots.pyplot()
    yield pyplot
    pyplot.close("all")


def slo_lines(ax: Any) -> list[str]:
    return [line.get_label() for line in ax.get_lines() if str(line.get_label()).startswith("SLO")]


def test_latency_cdfs_have_titles_units_and_slo_lines(plt: Any) -> None:
    fig = plots.latency_cdf_figure(plt, step(4, 1.0), SLO)
    assert "concurrency 4" in fig._suptitle.get_text()
    titles = {ax.get_title(): ax for ax in fig.axes}
    assert set(titles) == {
        "Time to first token (TTFT)",
        "Inter-chunk latency",
        "Time per output token (TPOT)",
        "End-to-end latency",
    }
    assert all(ax.get_xlabel() == "milliseconds" for ax in fig.axes)
    assert slo_lines(titles["Time to first token (TTFT)"]) == ["SLO 800 ms"]
    assert slo_lines(titles["Time per output token (TPOT)"]) == ["SLO 40 ms"]
    assert slo_lines(titles["End-to-end latency"]) == ["SLO 3000 ms"]
    assert slo_lines(titles["Inter-chunk latency"]) == []


def test_sweep_chart_puts_ttft_and_tpot_on_separate_axes(plt: Any) -> None:
    steps = [step(1, 1.0), step(2, 1.2), step(4, 2.0)]
    fig = plots.sweep_figure(plt, steps, 1, SLO)
    assert "knee at concurrency 2" in fig._suptitle.get_text()
    by_title = {ax.get_title(): ax for ax in fig.axes}
    ttft, tpot = by_title["Time to first token"], by_title["Time per output token"]
    assert ttft is not tpot
    assert ttft.get_ylabel() == "TTFT (ms)" and tpot.get_ylabel() == "TPOT (ms)"
    assert {line.get_label() for line in ttft.get_lines()} >= {"TTFT p50", "TTFT p99", "SLO 800 ms"}
    assert not any("TPOT" in str(line.get_label()) for line in ttft.get_lines())
    assert slo_lines(tpot) == ["SLO 40 ms"]
    assert by_title["Throughput per step"].get_ylabel() == "output tokens/s"
    assert [t.get_text() for t in tpot.get_xticklabels()] == ["concurrency 1", "concurrency 2", "concurrency 4"]


def test_latency_against_throughput_across_a_sweep(plt: Any, tmp_path: pathlib.Path) -> None:
    steps = [step(1, 1.0), step(2, 1.2), step(4, 2.0)]
    fig = plots.throughput_latency_figure(plt, steps, None, SLO)
    assert "no knee" in fig._suptitle.get_text()
    left, right = fig.axes
    assert left.get_xlabel() == right.get_xlabel() == "output tokens/s"
    assert left.get_ylabel() == "TTFT (ms)" and right.get_ylabel() == "TPOT (ms)"
    p50 = next(line for line in left.get_lines() if line.get_label() == "TTFT p50")
    assert list(p50.get_xdata()) == [s.summary["output_tokens_per_s"] for s in steps]
    assert [a.get_text() for a in left.texts] == ["c=1", "c=2", "c=4"]
    plt.close(fig)
    paths = plots.write_plots(tmp_path, steps, 1, sweep=True, slo=SLO)
    assert [p.name for p in paths] == ["latency_cdf.png", "throughput.png", "sweep.png", "throughput_latency.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
    assert plt.get_fignums() == []  # every figure was closed
