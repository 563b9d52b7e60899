"""The metrics module: log-linear buckets, exact merging, summaries and SLOs (no I/O)."""

from __future__ import annotations

import json
import math
import random

import pytest

from genai_async._cli.bench.metrics import (
    Histogram,
    RequestRecord,
    Slo,
    Stats,
    bucket_bounds,
    bucket_of,
    merged,
    stats_of,
)


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def samples(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(math.log(0.3), 1.2) for _ in range(n)]


def synthetic_records(n: int, workers: int, seed: int = 7) -> list[RequestRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        start = 1_700_000_000 + i * 0.05 + rng.random()
        if rng.random() < 0.1:
            kind = rng.choice(["429", "5xx", "timeout", "stream", "connection"])
            records.append(RequestRecord(i, i % workers, start, end=rng.uniform(0.01, 2), error=kind, detail="x"))
            continue
        ttft = rng.uniform(0.05, 1.5)
        chunks = [ttft]
        for _ in range(rng.randint(0, 30)):
            chunks.append(chunks[-1] + rng.expovariate(40))
        end = chunks[-1] + rng.uniform(0, 0.01)
        records.append(
            RequestRecord(
                i,
                i % workers,
                start,
                end=end,
                ttft=ttft,
                chunks=chunks,
                output_tokens=len(chunks) * rng.randint(1, 8),
                input_tokens=rng.randint(10, 300),
                thought_tokens=rng.randint(0, 50),
            )
        )
    return records


def test_buckets_cover_every_value_with_bounded_width() -> None:
    last = -1
    for micros in [*range(0, 5000), *range(5000, 10**8, 997), 10**10]:
        index = bucket_of(micros)
        low, high = bucket_bounds(index)
        assert low <= micros < high
        assert index >= last  # monotone
        last = index
        assert (high - low) <= max(1, low / 128)


def test_histogram_percentiles_are_within_bucket_precision_of_raw_samples() -> None:
    values = samples(5000)
    hist = Histogram()
    for v in values:
        hist.add(v)
    for q in (1, 50, 90, 99, 99.9, 100):
        exact = nearest_rank(values, q)
        got = hist.percentile(q)
        assert got is not None
        assert abs(got - exact) <= exact * 0.004 + 1e-6, (q, got, exact)
    assert hist.mean() == pytest.approx(sum(values) / len(values), rel=1e-5)
    assert hist.percentile(100) == pytest.approx(max(values), abs=1e-6)


def test_merged_histograms_equal_one_histogram_over_all_samples() -> None:
    values = samples(3000, seed=3)
    whole = Histogram()
    parts = [Histogram() for _ in range(4)]
    rng = random.Random(5)
    for v in values:
        whole.add(v)
        parts[rng.randrange(4)].add(v)
    total = Histogram()
    for part in parts:
        total.merge(part)
    assert total.counts == whole.counts
    assert (total.count, total.total, total.low, total.high) == (whole.count, whole.total, whole.low, whole.high)
    for q in (50, 90, 99, 99.99):
        assert total.percentile(q) == whole.percentile(q)


def test_stats_merged_from_workers_equal_stats_of_one_process() -> None:
    slo = Slo(ttft=0.8, tpot=0.05, e2e=2.0)
    records = synthetic_records(600, workers=3)
    one = stats_of(records, slo).summary(slo)
    by_worker = [stats_of([r for r in records if r.worker == w], slo) for w in range(3)]
    many = merged(by_worker).summary(slo)
    one.pop("client")
    many.pop("client")
    assert many == one
    assert one["failed"] > 0 and one["goodput"]["requests"] > 0


def test_stats_and_records_survive_json() -> None:
    slo = Slo(ttft=0.5)
    records = synthetic_records(50, workers=1)
    stats = stats_of(records, slo)
    stats.add_worker_cpu(0.5, 2.0)
    again = Stats.from_json(stats.to_json())
    assert again.summary(slo) == stats.summary(slo)
    for record in records:
        assert RequestRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_tpot_and_slo_rules() -> None:
    rec = RequestRecord(0, 0, 0.0, end=1.2, ttft=0.2, chunks=[0.2, 0.7, 1.2], output_tokens=11)
    assert rec.tpot == pytest.approx(0.1)
    assert rec.gaps() == pytest.approx([0.5, 0.5])
    assert Slo(ttft=0.25, tpot=0.1, e2e=1.2).met(rec)
    assert not Slo(ttft=0.1).met(rec)
    assert not Slo(tpot=0.09).met(rec)
    unary = RequestRecord(1, 0, 0.0, end=1.0, ttft=1.0, chunks=[1.0], output_tokens=50)
    assert unary.tpot is None and Slo(tpot=0.001).met(unary)  # no TPOT to miss
    failed = RequestRecord(2, 0, 0.0, end=0.1, error="429")
    assert not Slo(e2e=10).met(failed)


def test_summary_rates_use_the_union_window() -> None:
    slo = Slo()
    a = RequestRecord(0, 0, 100.0, end=1.0, ttft=0.5, chunks=[0.5, 1.0], output_tokens=10)
    b = RequestRecord(1, 1, 101.0, end=1.0, ttft=0.5, chunks=[0.5, 1.0], output_tokens=30)
    summary = merged([stats_of([a], slo), stats_of([b], slo)]).summary(slo)
    assert summary["duration_s"] == pytest.approx(2.0)
    assert summary["output_tokens_per_s"] == pytest.approx(20.0)
    assert summary["requests_per_s"] == pytest.approx(1.0)
    assert summary["sent_per_s"] == pytest.approx(1.0)
