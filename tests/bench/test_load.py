"""Workers against the emulator in this event loop: pacing, errors by kind, rate, warm-up, limits.

The pace test checks lower bounds only (a busy machine makes figures later, never earlier); how
close they come to the emulator's pace is measured by ``benchmarks/bench_pace.py``. The rate and interleaving tests run
the generator on a virtual clock, so their schedule is exact.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import statistics
import time
from types import SimpleNamespace
from typing import Any

import pytest

from genai_async._cli.bench import load
from genai_async._cli.bench.load import WorkerSpec, client_for, run_worker
from genai_async._cli.bench.metrics import Slo
from genai_async.emulator import running

MODEL = "gemini-3.5-flash"


def spec(base_url: str, **kw: Any) -> WorkerSpec:
    options: dict[str, Any] = {
        "worker": 0,
        "workers": 1,
        "base_url": base_url,
        "api_key": "k",
        "model": MODEL,
        "prompts": ["Explain how AI works", "Tell me about rivers"],
        "thinking_level": "minimal",
        "cpu_clock": "thread",
    }
    options.update(kw)
    return WorkerSpec(**options)


async def test_measured_pace_follows_the_emulator_pace() -> None:
    """What the worker measures is bounded below by what the emulator paces; never faster.

    Only lower bounds: a busy machine makes every figure later, never earlier. How close the figures
    come to the pace on an idle machine is measured by ``benchmarks/bench_pace.py``.
    """
    async with running(time_to_first_chunk=0.2, tokens_per_second=100, chunk_tokens=1) as emu:
        # answers of at most 40 tokens: each request is still paced for ~0.6 s (two rounds of three)
        result = await run_worker(spec(emu.base_url, concurrency=3, requests=6, max_tokens=40, slo=Slo(ttft=60.0)))
    summary = result.stats.summary(Slo(ttft=60.0))
    assert summary["completed"] == 6 and summary["failed"] == 0
    # token counts come from usageMetadata: the emulator's candidatesTokenCount
    assert all(r.output_tokens and r.output_tokens == len(r.chunks) for r in result.records)
    assert summary["output_tokens"] == sum(r.output_tokens or 0 for r in result.records)
    slack = 0.99  # a loop timer may fire up to the clock's resolution early
    for r in result.records:
        tokens = r.output_tokens or 0
        # first chunk = 0.2 s + one token at 100 tokens/s; each later chunk one more token
        assert r.ttft is not None and r.ttft >= 0.21 * slack, r.ttft
        assert r.end >= (0.2 + tokens / 100) * slack, (r.end, tokens)
        assert r.chunks[0] == r.ttft and r.chunks == sorted(r.chunks) and r.chunks[-1] <= r.end
    # the summary is made of those records (its histograms are exact in count, mean and extremes)
    ttfts = [r.ttft or 0.0 for r in result.records]
    assert summary["ttft_ms"]["mean"] == pytest.approx(statistics.mean(ttfts) * 1000, abs=0.01)
    assert summary["ttft_ms"]["min"] == pytest.approx(min(ttfts) * 1000, abs=0.001)
    assert summary["goodput"]["share"] == 1.0


async def test_errors_are_counted_by_kind() -> None:
    async with running() as emu:
        emu.queue_error(429, times=2)
        emu.queue_error(503)
        emu.queue_error(400)
        emu.queue_fault("drop_mid_event", after_events=2)
        emu.queue_fault("reset_before_headers")
        emu.queue_fault("hang_after_headers")
        result = await run_worker(spec(emu.base_url, concurrency=1, requests=10, timeout=0.5))
    summary = result.stats.summary(Slo())
    assert summary["errors"] == {"429": 2, "4xx": 1, "5xx": 1, "timeout": 1, "stream": 1, "connection": 1}
    assert list(summary["errors"]) == ["429", "4xx", "5xx", "timeout", "stream", "connection"]
    assert summary["completed"] == 3 and summary["failed"] == 7
    assert len(emu.requests) == 10  # retries are off: one HTTP request per measured request
    failed = [r for r in result.records if r.error]
    assert all(r.detail for r in failed) and failed[0].error == "429" and "429" in (failed[0].detail or "")


async def test_retries_can_be_turned_on() -> None:
    async with running() as emu:
        emu.queue_error(503, times=2)
        result = await run_worker(spec(emu.base_url, concurrency=1, requests=2, retry=True))
    assert result.stats.ok == 2 and len(emu.requests) == 4


class VirtualTime:
    """The load generator's clock, moved only by its own sleeps: an open-loop schedule is then exact,
    however busy the machine (the requests themselves still go to the emulator over a socket).

    Sleepers wake in order of their wake-up time, one at a time, each after the loop has had a few
    turns to let everything that can run reach its next sleep (several workers share one clock).
    """

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.thread_time = time.thread_time
        self.process_time = time.process_time
        self._due: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def perf_counter(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._due, (self.now + max(seconds, 0.0), next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        await woken

    async def _drive(self) -> None:
        while self._due:
            for _ in range(5):  # whatever was woken (and the requests it created) runs up to its next await
                await asyncio.sleep(0)
            when, _, woken = heapq.heappop(self._due)
            self.now = max(self.now, when)
            woken.set_result(None)


@pytest.fixture
def virtual_time(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    clock = VirtualTime()
    monkeypatch.setattr(load, "time", clock)
    monkeypatch.setattr(load, "asyncio", SimpleNamespace(**{**vars(asyncio), "sleep": clock.sleep}))
    return clock


@pytest.mark.parametrize("arrivals", ["constant", "poisson"])
async def test_rate_mode_sends_at_the_requested_rate(arrivals: str, virtual_time: VirtualTime) -> None:
    async with running(time_to_first_chunk=0.3) as emu:
        result = await run_worker(spec(emu.base_url, concurrency=None, rate=20.0, arrivals=arrivals, requests=30))
    summary = result.stats.summary(Slo())
    assert summary["completed"] == 30 and len(emu.requests) == 30
    starts = sorted(r.start for r in result.records)
    if arrivals == "constant":
        assert summary["sent_per_s"] == pytest.approx(20.0)
        assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == pytest.approx([0.05] * 29)
    else:  # exponential gaps from the worker's seeded generator: the same every run, about the rate
        assert summary["sent_per_s"] == pytest.approx(20.0, rel=0.5)
        assert len(set(round(b - a, 9) for a, b in zip(starts, starts[1:], strict=False))) > 20  # not a grid
    # open loop: arrivals do not wait for answers, so several requests were in flight at once
    first_end = min(r.start + r.end for r in result.records)
    assert sum(1 for s in starts if s < first_end) >= 3


async def test_constant_arrivals_of_several_workers_interleave(virtual_time: VirtualTime) -> None:
    """Two workers at 5 req/s each, started together: one arrival every 100 ms in all, not pairs."""
    async with running(time_to_first_chunk=0.05) as emu:
        results = await asyncio.gather(
            *(
                run_worker(
                    spec(emu.base_url, worker=i, workers=2, concurrency=None, rate=5.0, arrivals="constant", requests=5)
                )
                for i in range(2)
            )
        )
    starts = sorted(r.start for result in results for r in result.records)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 10 and len(emu.requests) == 10
    assert gaps == pytest.approx([0.1] * 9, abs=1e-6), gaps
    workers = [r.worker for r in sorted((r for result in results for r in result.records), key=lambda r: r.start)]
    assert workers in ([0, 1] * 5, [1, 0] * 5)  # alternating


async def test_warmup_is_run_and_excluded() -> None:
    async with running() as emu:
        result = await run_worker(spec(emu.base_url, concurrency=2, requests=5, warmup_requests=3))
    assert result.warmup == 3 and len(result.records) == 5 and len(emu.requests) == 8
    assert sorted(r.index for r in result.records) == [3, 4, 5, 6, 7]


async def test_duration_mode_stops_sending_in_time_and_unary_mode() -> None:
    async with running() as emu:
        result = await run_worker(spec(emu.base_url, concurrency=2, duration=0.5, stream=False, warmup_seconds=0.2))
    records = result.records
    assert records and result.warmup >= 1
    first = min(r.start for r in records)
    # Not a timing bound: a request's start is stamped in the same step that found the worker's clock
    # before its deadline, however busy the machine; the 0.2 s only covers time.time() vs perf_counter().
    assert max(r.start for r in records) - first < 0.5 + 0.2
    assert all(r.ttft == r.end and r.tpot is None and r.output_tokens for r in records)


async def test_client_limits_and_retry_default_reach_the_client() -> None:
    client = client_for(spec("http://127.0.0.1:9", concurrency=4, max_in_flight=2, rpm=600, tpm=10**6))
    try:
        assert client._limiter.active
        assert client._settings.retry is None  # bench default: no retries
        assert client._settings.max_connections == 4
    finally:
        await client.aclose()
