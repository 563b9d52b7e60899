"""Per-request records, mergeable latency histograms, and the summary of a run.

Exact merging (what ``--processes`` and ``--ray`` rely on):

- Every latency goes into a :class:`Histogram` of integer microseconds with *fixed* log-linear
  buckets, laid out like HdrHistogram: values below 256 µs have a bucket each, and every power of
  two above is split into 128 equal sub-buckets. A bucket is at most 1/128 of its lower bound wide
  and reports its midpoint, so a reported value is within 0.4 % of the sample it stands for.
- The buckets never depend on the data, so merging is adding counts: the merged histogram is
  identical to the one a single process would have built from the same samples, and so are its
  percentiles. Sums (for means) are exact integer microseconds; min and max are exact.
- Percentiles are nearest-rank (the smallest sample with at least q % of samples at or below it)
  and are never averaged across workers. The standard deviation (population, like numpy's default
  and vLLM's report) comes from exact integer sums of microseconds and of their squares, so it
  merges exactly too.

Counters (requests, tokens, chunks, errors by kind, requests meeting the SLOs, CPU seconds) add up.
The run window is the earliest request start to the latest request end over all workers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SUB_BITS = 7
_SUB = 1 << SUB_BITS
PERCENTILES = (50.0, 90.0, 95.0, 99.0)
ALWAYS = (50.0, 99.0)
"""Percentiles every summary has whatever ``--percentiles`` says (the sweep table and plots use them)."""
_HISTOGRAMS = ("ttft", "itl", "tpot", "e2e")
ERROR_KINDS = ("429", "4xx", "5xx", "timeout", "stream", "connection", "other")
"""Error kinds in the order they are shown: HTTP 429 apart from other 4xx, then the rest."""


def bucket_of(micros: int) -> int:
    """The bucket index of a non-negative integer number of microseconds."""
    if micros < 2 * _SUB:
        return micros
    shift = micros.bit_length() - SUB_BITS - 1
    return ((shift + 1) << SUB_BITS) + (micros >> shift) - _SUB


def bucket_bounds(index: int) -> tuple[int, int]:
    """The ``[low, high)`` microsecond range a bucket covers."""
    if index < 2 * _SUB:
        return index, index + 1
    shift = (index >> SUB_BITS) - 1
    mantissa = _SUB + (index & (_SUB - 1))
    return mantissa << shift, (mantissa + 1) << shift


class Histogram:
    """Latency samples in fixed log-linear buckets; :meth:`merge` is exact (counts add)."""

    __slots__ = ("counts", "count", "total", "total_sq", "low", "high")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0
        self.total = 0
        self.total_sq: int | None = 0
        """Sum of squared microseconds (None for histograms read from files that did not keep it)."""
        self.low: int | None = None
        self.high: int | None = None

    def add(self, seconds: float) -> None:
        micros = max(0, round(seconds * 1e6))
        index = bucket_of(micros)
        self.counts[index] = self.counts.get(index, 0) + 1
        self.count += 1
        self.total += micros
        if self.total_sq is not None:
            self.total_sq += micros * micros
        self.low = micros if self.low is None else min(self.low, micros)
        self.high = micros if self.high is None else max(self.high, micros)

    def merge(self, other: Histogram) -> None:
        for index, n in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + n
        self.count += other.count
        self.total += other.total
        self.total_sq = None if self.total_sq is None or other.total_sq is None else self.total_sq + other.total_sq
        if other.low is not None:
            self.low = other.low if self.low is None else min(self.low, other.low)
        if other.high is not None:
            self.high = other.high if self.high is None else max(self.high, other.high)

    def percentile(self, q: float) -> float | None:
        """The nearest-rank ``q``-th percentile in seconds (a bucket midpoint, clamped to min/max)."""
        if not self.count or self.low is None or self.high is None:
            return None
        rank = max(1, math.ceil(q / 100.0 * self.count))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                low, high = bucket_bounds(index)
                mid = (low + high - 1) / 2.0
                return min(max(mid, self.low), self.high) / 1e6
        return self.high / 1e6

    def mean(self) -> float | None:
        return self.total / self.count / 1e6 if self.count else None

    def std(self) -> float | None:
        """Population standard deviation in seconds (exact sums, so merged histograms agree)."""
        if not self.count or self.total_sq is None:
            return None
        n = self.count
        return math.sqrt(max(0, n * self.total_sq - self.total * self.total)) / n / 1e6

    def to_json(self) -> dict[str, Any]:
        return {
            "buckets": sorted(self.counts.items()),
            "count": self.count,
            "total_us": self.total,
            "total_sq_us2": self.total_sq,
            "min_us": self.low,
            "max_us": self.high,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        hist = cls()
        hist.counts = {int(i): int(n) for i, n in data["buckets"]}
        hist.count, hist.total = int(data["count"]), int(data["total_us"])
        sq = data.get("total_sq_us2")
        hist.total_sq = None if sq is None else int(sq)
        hist.low, hist.high = data["min_us"], data["max_us"]
        return hist


@dataclass(frozen=True)
class Slo:
    """Service-level objectives in seconds; a request is *good* when it succeeded and meets all set."""

    ttft: float | None = None
    tpot: float | None = None
    e2e: float | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.ttft, self.tpot, self.e2e))

    def met(self, record: RequestRecord) -> bool:
        # A request without a TPOT (one output token, or not streamed) cannot miss the TPOT goal.
        if record.error is not None:
            return False
        if self.ttft is not None and (record.ttft is None or record.ttft > self.ttft):
            return False
        tpot = record.tpot
        if self.tpot is not None and tpot is not None and tpot > self.tpot:
            return False
        return self.e2e is None or record.end <= self.e2e

    def to_json(self) -> dict[str, float | None]:
        return {"ttft_ms": _ms(self.ttft), "tpot_ms": _ms(self.tpot), "e2e_ms": _ms(self.e2e)}


@dataclass
class RequestRecord:
    """One measured request. Times after ``start`` are seconds on the monotonic clock."""

    index: int
    worker: int
    start: float
    """Wall-clock (epoch) seconds when the request was sent."""
    end: float = 0.0
    """End-to-end latency: when the answer ended or the request failed."""
    ttft: float | None = None
    """First chunk carrying answer text (a unary answer's arrival)."""
    chunks: list[float] = field(default_factory=list)
    """Arrival of every chunk carrying answer text."""
    output_tokens: int | None = None
    """``usageMetadata.candidatesTokenCount`` of the final answer."""
    input_tokens: int | None = None
    thought_tokens: int | None = None
    error: str | None = None
    """One of :data:`ERROR_KINDS`, or None for a success."""
    detail: str | None = None

    @property
    def tpot(self) -> float | None:
        """Time per output token after the first: ``(e2e - ttft) / (output_tokens - 1)``."""
        if self.error or self.ttft is None or not self.output_tokens or self.output_tokens < 2:
            return None
        if len(self.chunks) < 2:
            return None
        return (self.end - self.ttft) / (self.output_tokens - 1)

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.chunks, self.chunks[1:], strict=False)]

    def to_json(self) -> dict[str, Any]:
        """``start``/``end`` are wall-clock (epoch) seconds; ``e2e``, ``ttft`` and ``chunks`` are
        seconds after ``start`` (the format before ``genai-async-bench/2`` had the e2e in ``end``)."""
        return {
            # Times are kept unrounded (JSON floats round-trip exactly), so statistics recomputed
            # from a file equal the ones reported, to the microsecond bucket.
            "index": self.index,
            "worker": self.worker,
            "start": self.start,
            "end": self.start + self.end,
            "e2e": self.end,
            "ttft": self.ttft,
            "chunks": self.chunks,
            "output_tokens": self.output_tokens,
            "input_tokens": self.input_tokens,
            "thought_tokens": self.thought_tokens,
            "error": self.error,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestRecord:
        return cls(
            index=int(data["index"]),
            worker=int(data["worker"]),
            start=float(data["start"]),
            end=float(data["e2e"] if "e2e" in data else data["end"]),
            ttft=data.get("ttft"),
            chunks=list(data.get("chunks") or []),
            output_tokens=data.get("output_tokens"),
            input_tokens=data.get("input_tokens"),
            thought_tokens=data.get("thought_tokens"),
            error=data.get("error"),
            detail=data.get("detail"),
        )


@dataclass
class Stats:
    """Everything a summary needs, mergeable: histograms, counters, window and client CPU."""

    ttft: Histogram = field(default_factory=Histogram)
    itl: Histogram = field(default_factory=Histogram)
    tpot: Histogram = field(default_factory=Histogram)
    e2e: Histogram = field(default_factory=Histogram)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    output_tokens: int = 0
    input_tokens: int = 0
    thought_tokens: int = 0
    chunks: int = 0
    good: int = 0
    first_start: float | None = None
    last_start: float | None = None
    last_end: float | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    max_utilisation: float = 0.0
    workers: int = 0

    def add(self, record: RequestRecord, slo: Slo) -> None:
        end = record.start + record.end
        self.first_start = record.start if self.first_start is None else min(self.first_start, record.start)
        self.last_start = record.start if self.last_start is None else max(self.last_start, record.start)
        self.last_end = end if self.last_end is None else max(self.last_end, end)
        self.chunks += len(record.chunks)
        if record.error is not None:
            self.errors[record.error] = self.errors.get(record.error, 0) + 1
            return
        self.ok += 1
        self.output_tokens += record.output_tokens or 0
        self.input_tokens += record.input_tokens or 0
        self.thought_tokens += record.thought_tokens or 0
        self.e2e.add(record.end)
        if record.ttft is not None:
            self.ttft.add(record.ttft)
        tpot = record.tpot
        if tpot is not None:
            self.tpot.add(tpot)
        for gap in record.gaps():
            self.itl.add(gap)
        self.good += slo.met(record)

    def add_worker_cpu(self, cpu_seconds: float, wall_seconds: float) -> None:
        self.cpu_seconds += cpu_seconds
        self.wall_seconds += wall_seconds
        self.workers += 1
        if wall_seconds > 0:
            self.max_utilisation = max(self.max_utilisation, cpu_seconds / wall_seconds)

    def merge(self, other: Stats) -> None:
        for name in _HISTOGRAMS:
            getattr(self, name).merge(getattr(other, name))
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n
        for name in (
            "ok",
            "output_tokens",
            "input_tokens",
            "thought_tokens",
            "chunks",
            "good",
            "workers",
            "cpu_seconds",
            "wall_seconds",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_utilisation = max(self.max_utilisation, other.max_utilisation)
        if other.first_start is not None:
            self.first_start = (
                other.first_start if self.first_start is None else min(self.first_start, other.first_start)
            )
        if other.last_start is not None:
            self.last_start = other.last_start if self.last_start is None else max(self.last_start, other.last_start)
        if other.last_end is not None:
            self.last_end = other.last_end if self.last_end is None else max(self.last_end, other.last_end)

    def summary(self, slo: Slo, percentiles: tuple[float, ...] = PERCENTILES) -> dict[str, Any]:
        """The numbers a report shows (latencies in ms, rates per second) as plain JSON data."""
        failed = sum(self.errors.values())
        total = self.ok + failed
        duration = (self.last_end - self.first_start) if self.first_start is not None and self.last_end else 0.0

        def rate(n: int) -> float:
            return n / duration if duration > 0 else 0.0

        out: dict[str, Any] = {
            "requests": total,
            "completed": self.ok,
            "failed": failed,
            "errors": {k: self.errors[k] for k in sorted(self.errors, key=_kind_order)},
            "duration_s": round(duration, 6),
            "requests_per_s": rate(self.ok),
            "sent_per_s": self._sent_rate(total),
            "output_tokens": self.output_tokens,
            "input_tokens": self.input_tokens,
            "thought_tokens": self.thought_tokens,
            "output_tokens_per_s": rate(self.output_tokens),
        }
        for name in _HISTOGRAMS:
            out[f"{name}_ms"] = latency_summary(getattr(self, name), percentiles)
        out["goodput"] = (
            None
            if not slo.active
            else {
                "slo": slo.to_json(),
                "requests": self.good,
                "share": self.good / total if total else 0.0,
                "requests_per_s": rate(self.good),
            }
        )
        out["client"] = {
            "workers": self.workers,
            "cpu_s": round(self.cpu_seconds, 6),
            "chunks": self.chunks,
            "cpu_per_chunk_us": self.cpu_seconds / self.chunks * 1e6 if self.chunks else None,
            "max_cpu_utilisation": round(self.max_utilisation, 4),
        }
        return out

    def _sent_rate(self, total: int) -> float | None:
        """Requests sent per second between the first and the last start (the offered load)."""
        if total < 2 or self.first_start is None or self.last_start is None or self.last_start <= self.first_start:
            return None
        return (total - 1) / (self.last_start - self.first_start)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name).to_json() for name in _HISTOGRAMS}
        data.update({k: v for k, v in vars(self).items() if not isinstance(v, Histogram)})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stats:
        stats = cls()
        for name, value in data.items():
            setattr(stats, name, Histogram.from_json(value) if name in _HISTOGRAMS else value)
        return stats


def stats_of(records: Iterable[RequestRecord], slo: Slo) -> Stats:
    """Stats of records (no CPU figures): what one process would compute."""
    stats = Stats()
    for record in records:
        stats.add(record, slo)
    return stats


def merged(parts: Iterable[Stats]) -> Stats:
    total = Stats()
    for part in parts:
        total.merge(part)
    return total


def latency_summary(hist: Histogram, percentiles: tuple[float, ...] = PERCENTILES) -> dict[str, float | int | None]:
    """count, mean, std, the percentiles asked for (plus :data:`ALWAYS`) in order, min and max, in ms."""
    out: dict[str, float | int | None] = {"count": hist.count, "mean": _ms(hist.mean()), "std": _ms(hist.std())}
    for q in sorted({*percentiles, *ALWAYS}):
        out[percentile_key(q)] = _ms(hist.percentile(q))
    out["min"] = None if hist.low is None else hist.low / 1e3
    out["max"] = None if hist.high is None else hist.high / 1e3
    return out


def percentile_key(q: float) -> str:
    """``p50``, ``p99.9``: the summary key of a percentile."""
    return f"p{q:g}"


def classify_status(code: int) -> str:
    """The error kind of an HTTP status: 429 on its own, else the status class."""
    if code == 429:
        return "429"
    return "4xx" if 400 <= code < 500 else "5xx" if code >= 500 else "other"


def _kind_order(kind: str) -> int:
    return ERROR_KINDS.index(kind) if kind in ERROR_KINDS else len(ERROR_KINDS)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e3, 3)
