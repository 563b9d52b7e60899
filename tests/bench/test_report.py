"""The report: summary table, CPU warning, sweep table and compare on saved documents (no I/O)."""

from __future__ import annotations

from typing import Any

from genai_async._cli.bench import report
from genai_async._cli.bench.config import BenchConfig
from genai_async._cli.bench.metrics import RequestRecord, Slo, stats_of
from genai_async._cli.bench.runner import StepResult


def step(concurrency: int, scale: float = 1.0, slo: Slo | None = None) -> StepResult:
    slo = slo or Slo()
    records = [
        RequestRecord(
            i, 0, 100.0 + i / 2, end=1.0 * scale, ttft=0.2 * scale, chunks=[0.2 * scale, 1.0 * scale], output_tokens=20
        )
        for i in range(10)
    ]
    records.append(RequestRecord(10, 0, 105.0, end=0.1, error="429", detail="429 RESOURCE_EXHAUSTED: quota"))
    stats = stats_of(records, slo)
    stats.add_worker_cpu(0.9, 1.0)
    return StepResult(concurrency, None, records, stats, stats.summary(slo), 2)


def test_summary_table_shows_latencies_errors_goodput_and_client_cpu() -> None:
    text = report.summary_table(step(4, slo=Slo(ttft=0.5)))
    for part in (
        "concurrency 4 (+2 warm-up",
        "10 completed, 1 failed",
        "TTFT",
        "200.0",
        "429: 1",
        "e.g. 429",
        "RESOURCE_EXHAUSTED",
        "met all SLOs",
        "TTFT <= 500 ms",
        "µs per chunk",
    ):
        assert part in text, part
    warning = report.cpu_warning(step(4).summary)
    assert warning is not None and "--processes" in warning


def test_sweep_document_compares_by_its_knee() -> None:
    cfg = BenchConfig(model="m", prompts=["p"], prompt_source="test", api_key="secret", concurrency=1, sweep=True)
    steps = [step(1), step(2), step(4, scale=2.0)]
    verdicts = ["ok", "ok", "saturated: throughput +0% (< +10%)"]
    table = report.sweep_table(steps, verdicts, 1)
    assert "*2" in table and "knee (*): concurrency 2" in table
    ran_out = report.sweep_table(steps[:2], ["ok", "ok"], 1, "stopped before concurrency 4: --requests 2 ...")
    assert "not saturated after 2 steps" in ran_out and "stopped before concurrency 4" in ran_out
    doc: dict[str, Any] = report.document(cfg, "http://x", steps, verdicts, 1)
    assert doc["summary"] == steps[1].summary and "secret" not in str(doc)
    single = report.document(cfg, "http://x", [step(4, scale=2.0)])
    text = report.compare(doc, single, ("sweep.json", "run.json"))
    assert "sweep knee" in text and "concurrency 2" in text
    row = next(line.strip() for line in text.splitlines() if line.strip().startswith("TTFT p50"))
    assert "+200.00" in row and "+100.0%" in row


def test_warnings_for_workers_that_did_not_overlap_and_a_busy_emulator_process() -> None:
    summary = step(4).summary
    assert report.overlap_warning(summary) is None and report.host_warning(summary, 1) is None
    summary["duration_s"] = 5.0
    summary["client"].update(workers=4, workers_overlap=0.4, host_cpu_utilisation=0.97)
    overlap = report.overlap_warning(summary)
    assert overlap is not None and "4 workers" in overlap and "40%" in overlap and "--ray" in overlap
    shared = report.host_warning(summary, 1)
    assert shared is not None and "97%" in shared and "--processes 2" in shared
    alone = report.host_warning(summary, 2)
    assert alone is not None and "emulator's process" in alone
    summary["client"].update(workers_overlap=0.95, host_cpu_utilisation=0.5)
    assert report.overlap_warning(summary) is None and report.host_warning(summary, 1) is None


def test_compare_shows_an_error_kind_one_run_did_not_have_as_zero() -> None:
    cfg = BenchConfig(model="m", prompts=["p"], prompt_source="test", api_key="k", concurrency=1)
    with_429 = report.document(cfg, "http://x", [step(1)])
    clean = report.document(cfg, "http://x", [step(1)])
    clean["summary"]["errors"] = {}
    row = next(
        line.strip()
        for line in report.compare(clean, with_429, ("a", "b")).splitlines()
        if line.strip().startswith("errors 429")
    )
    assert row.split()[2:5] == ["0", "1", "+1"], row


def sweep_cfg() -> BenchConfig:
    return BenchConfig(model="m", prompts=["p"], prompt_source="test", api_key="k", concurrency=1, sweep=True)


def test_compare_two_sweeps_step_by_step(tmp_path) -> None:
    a = report.document(sweep_cfg(), "http://x", [step(1), step(2), step(4)], ["ok", "ok", "saturated"], 1)
    b = report.document(sweep_cfg(), "http://x", [step(1), step(2, scale=0.5)], ["ok", "slo: goodput 10% < 90%"], 0)
    paths = []
    for name, doc in (("a.json", a), ("b.json", b)):
        report.write_json(tmp_path / name, doc)
        paths.append(report.load_run(tmp_path / name))
    text = report.compare(paths[0], paths[1], ("a.json", "b.json"))
    assert "step 1: A concurrency 1 (ok) | B concurrency 1 (ok)" in text
    assert "step 2: A concurrency 2 (ok) | B concurrency 2 (slo: goodput 10% < 90%)" in text
    assert "step 3: A concurrency 4 (saturated) | B (no such step)" in text
    assert "knee: A concurrency 2" in text and "| B concurrency 1" in text
    step2 = text.split("step 2:")[1].split("step 3:")[0]
    ttft = next(line.split() for line in step2.splitlines() if line.strip().startswith("TTFT p50"))
    assert ttft[3:] == ["200.00", "100.00", "-100.00", "-50.0%"]
    assert "knee vs knee:" in text


def test_a_sweep_without_a_knee_is_saved_compared_and_explained(tmp_path) -> None:
    slow = step(1, scale=5.0, slo=Slo(ttft=0.8))
    said = "slo: goodput 0% < 90%"
    table = report.sweep_table([slow], [said], None)
    assert "start lower" not in table
    assert "even one request at a time missed the SLOs" in table and "TTFT p50 1,000.0 ms" in table
    assert "--slo-ttft" in table
    busy = step(8, scale=5.0, slo=Slo(ttft=0.8))
    assert "start lower with --concurrency" in report.sweep_table([busy], [said], None)
    doc = report.document(sweep_cfg(), "http://x", [slow], [said], None)
    report.write_json(tmp_path / "s.json", doc)
    loaded = report.load_run(tmp_path / "s.json")  # it used to be rejected: a sweep without a knee
    text = report.compare(loaded, loaded, ("s.json", "s.json"))
    assert "knee: A none (no step passed)" in text and "first step (no knee) vs first step (no knee):" in text
    assert "sweep without a knee" in text


def test_request_json_has_timestamps_and_the_latency_apart() -> None:
    record = RequestRecord(3, 0, 1000.0, end=2.5, ttft=0.5, chunks=[0.5, 2.5], output_tokens=9)
    data = record.to_json()
    assert data["start"] == 1000.0 and data["end"] == 1002.5 and data["e2e"] == 2.5
    assert RequestRecord.from_json(data) == record
    old = dict(data, end=2.5)  # genai-async-bench/1 kept the latency in "end"
    del old["e2e"]
    assert RequestRecord.from_json(old) == record
