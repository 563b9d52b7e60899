"""What bench shows: p95 and std dev, --percentiles, the progress line with done/total and ETA,
gamma arrivals for --burstiness, and the summary's wording (no I/O except subprocess usage checks)."""

from __future__ import annotations

import io
import json
import random
import statistics

import pytest

from genai_async._cli.bench import report
from genai_async._cli.bench.load import gap
from genai_async._cli.bench.metrics import Histogram, RequestRecord, Slo, merged, stats_of
from genai_async._cli.bench.runner import StepResult
from genai_async._progress import Progress, ProgressBar

from .test_cli import FAST, run


def test_summary_has_p95_and_the_standard_deviation_which_merge_exactly() -> None:
    rng = random.Random(3)
    values = [round(rng.uniform(0.05, 2.0), 6) for _ in range(1000)]
    one, parts = Histogram(), [Histogram(), Histogram(), Histogram()]
    for i, v in enumerate(values):
        one.add(v)
        parts[i % 3].add(v)
    whole = Histogram()
    for part in parts:
        whole.merge(Histogram.from_json(json.loads(json.dumps(part.to_json()))))
    assert whole.std() == one.std()
    assert one.std() == pytest.approx(statistics.pstdev(values), rel=1e-6)
    records = [
        RequestRecord(i, 0, 100.0 + i, end=v, ttft=v / 2, chunks=[v / 2, v], output_tokens=5)
        for i, v in enumerate(values)
    ]
    row = stats_of(records, Slo()).summary(Slo())["e2e_ms"]
    assert list(row) == ["count", "mean", "std", "p50", "p90", "p95", "p99", "min", "max"]
    assert row["std"] == pytest.approx(statistics.pstdev(values) * 1e3, rel=1e-6)
    old = Histogram.from_json({"buckets": [[5, 1]], "count": 1, "total_us": 5, "min_us": 5, "max_us": 5})
    assert old.std() is None  # a file written before the sums of squares were kept


def test_percentiles_option_picks_the_columns() -> None:
    records = [
        RequestRecord(i, 0, 100.0 + i, end=1.0 + i / 100, ttft=0.5, chunks=[0.5, 1.0], output_tokens=5)
        for i in range(100)
    ]
    stats = stats_of(records, Slo())
    stats.add_worker_cpu(0.5, 2.0)
    summary = stats.summary(Slo(), (25.0, 75.0, 99.9))
    assert [k for k in summary["e2e_ms"] if k.startswith("p")] == ["p25", "p50", "p75", "p99", "p99.9"]
    table = report.summary_table(StepResult(2, None, records, stats, summary, 0))
    head = next(line for line in table.splitlines() if line.startswith("latency (ms)"))
    assert head.split()[2:] == ["mean", "std", "p25", "p50", "p75", "p99", "p99.9", "count"]
    assert merged([stats]).summary(Slo(), (25.0,))["ttft_ms"]["p25"] == 500.0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--percentiles", "50,101"], "--percentiles 50,101"),
        (["--percentiles", "x"], "--percentiles x"),
        (["--burstiness", "0", "--rate", "2"], "--burstiness must be positive"),
        (["--burstiness", "0.5"], "needs --rate"),
        (["--burstiness", "0.5", "--rate", "2", "--arrivals", "constant"], "needs --rate"),
    ],
)
def test_bad_readout_options_are_usage_errors(args: list[str], said: str) -> None:
    code, _, err = run(*args)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1


def test_gamma_gaps_keep_the_rate_and_spread_as_asked() -> None:
    for burstiness in (0.25, 1.0, 4.0):
        rng = random.Random(11)
        gaps = [gap(rng, 5.0, burstiness) for _ in range(20000)]
        assert statistics.fmean(gaps) == pytest.approx(0.2, rel=0.05)
        cv = statistics.pstdev(gaps) / statistics.fmean(gaps)
        assert cv == pytest.approx(burstiness**-0.5, rel=0.08)  # gamma: CV = 1/sqrt(shape)
    exp = random.Random(2)
    assert gap(random.Random(2), 3.0) == exp.expovariate(3.0)  # burstiness 1 keeps Poisson's draws


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_done_of_total_and_an_eta() -> None:
    out, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(out, label="concurrency 4", total=100, duration=None, enabled=True, clock=clock)
    bar.update(Progress(0, warming=True))
    assert "warming up" in out.getvalue()
    bar.update(Progress(0, done=0, warming=False))
    clock.now += 20.0
    bar.update(Progress(0, done=25, output_tokens=500, warming=False))
    line = out.getvalue().rsplit("\r", 1)[1]
    assert "25/100 done" in line and "1.25 req/s" in line and "elapsed 20s  ETA 1m00s" in line
    clock.now += 60.0
    bar.update(Progress(0, done=100, warming=False, finished=True))
    assert "100/100 done" in out.getvalue().rsplit("\r", 1)[1] and "ETA 0s" in out.getvalue().rsplit("\r", 1)[1]
    timed, clock2 = io.StringIO(), FakeClock()
    bar = ProgressBar(timed, label="2 req/s", total=None, duration=30.0, enabled=True, clock=clock2)
    bar.update(Progress(0, warming=False))
    clock2.now += 12.0
    bar.update(Progress(0, done=24, warming=False))
    assert "24 done" in timed.getvalue() and "ETA 18s" in timed.getvalue()


def test_summary_wording_glitches_are_gone() -> None:
    records = [
        RequestRecord(0, 0, 100.0, end=0.004, error="connection", detail="cannot connect to 127.0.0.1:9"),
        RequestRecord(1, 0, 100.0, end=0.002, ttft=0.001, chunks=[0.001, 0.002], output_tokens=3),
    ]
    stats = stats_of(records, Slo())
    stats.add_worker_cpu(0.0054, 0.005)  # 108 % "of a core" over five milliseconds
    table = report.summary_table(StepResult(1, None, records, stats, stats.summary(Slo()), 0))
    assert "e.g. connection cannot connect" in table
    assert "108%" not in table and "too short" in table


def test_a_bursty_rate_run_end_to_end(tmp_path) -> None:
    out_file = tmp_path / "bursty.json"
    code, out, err = run(
        *FAST,
        "--rate",
        "40",
        "--burstiness",
        "0.5",
        "--requests",
        "12",
        "--percentiles",
        "50,95,99.9",
        "--output",
        str(out_file),
    )
    assert code == 0, err
    doc = json.loads(out_file.read_text())
    assert doc["config"]["burstiness"] == 0.5 and doc["config"]["percentiles"] == [50.0, 95.0, 99.9]
    assert doc["summary"]["completed"] == 12 and "p99.9" in doc["summary"]["ttft_ms"]
    assert "p99.9" in out and "std" in out


def test_plain_http_target_is_refused_in_cli_words_and_allowed_with_the_flag() -> None:
    code, _, err = run("--base-url", "http://gemini.example.com", "--requests", "1", env={"GEMINI_API_KEY": "k"})
    assert code == 2 and "--insecure-http" in err and "allow_insecure_http" not in err
    assert len(err.strip().splitlines()) == 1


def test_insecure_http_reaches_a_plain_http_server() -> None:
    from genai_async._cli.bench.runner import EmulatorThread

    with EmulatorThread() as emu:
        port = emu.base_url.rsplit(":", 1)[1]
        # 0.0.0.0 is no loopback name to the client, yet it reaches the emulator on this machine
        code, out, err = run(
            "--base-url",
            f"http://0.0.0.0:{port}",
            "--insecure-http",
            "--requests",
            "2",
            "--thinking-level",
            "minimal",
            env={"GEMINI_API_KEY": "k"},
        )
    assert code == 0, err
    assert "2 completed, 0 failed" in out
