"""One load worker: an event loop's worth of requests in a load shape, measured request by request.

A worker owns one :class:`~genai_async.Client` and runs one of two shapes:

- closed loop (``concurrency``): that many request loops, each sending its next request as soon
  as the previous one ends;
- open loop (``rate``): requests start at Poisson (or, with ``burstiness`` other than 1, gamma:
  gaps of shape ``burstiness`` and mean ``1/rate``, as vLLM's ``--burstiness``) or evenly spaced
  arrival times whatever the service does, optionally capped at ``concurrency`` requests in flight
  (an arrival waits for a slot, as in vLLM's ``--max-concurrency``).

Warm-up requests run in the same shape right before the measured ones and are dropped, so the
measurement starts on warm connections under load. The measured phase is bounded by a request
count or a duration (requests started in time are awaited). Workers of one run take every
``workers``-th global request index, so prompts and counts split the same way in one process,
several processes or Ray tasks; Poisson arrivals at ``rate / workers`` each add up to a Poisson
process at ``rate``, and evenly spaced ones keep to one wall-clock grid, offset by worker, so that
together they are evenly spaced at ``rate``. CPU time of the worker is read around the measured phase only.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import types
from ..._client import Client
from ..._progress import Progress
from ...errors import APIError, ConnectionError, GenAIError, StreamError, TimeoutError
from .metrics import RequestRecord, Slo, Stats, classify_status

_DETAIL = 200
_TICK = 0.25


@dataclass
class WorkerSpec:
    """Everything one worker needs; plain data so it pickles to a process or a Ray task."""

    worker: int
    workers: int
    base_url: str | None
    api_key: str
    model: str
    prompts: list[str]
    stream: bool = True
    max_tokens: int | None = None
    thinking_level: str | None = None
    concurrency: int | None = 1
    rate: float | None = None
    arrivals: str = "poisson"
    burstiness: float = 1.0
    seed: int = 0
    requests: int | None = None
    duration: float | None = None
    warmup_requests: int = 0
    warmup_seconds: float = 0.0
    timeout: float | None = None
    retry: bool = False
    insecure_http: bool = False
    max_in_flight: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    slo: Slo = field(default_factory=Slo)
    cpu_clock: str = "process"
    """``process`` in a process of its own; ``thread`` when sharing a process (with the emulator)."""


@dataclass
class WorkerResult:
    worker: int
    records: list[RequestRecord]
    stats: Stats
    warmup: int
    cpu_seconds: float
    wall_seconds: float


def classify(exc: BaseException) -> str:
    """The error kind of an exception (see ``metrics.ERROR_KINDS``)."""
    if isinstance(exc, APIError):
        return classify_status(exc.code)
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, StreamError):
        return "stream"
    if isinstance(exc, ConnectionError):
        return "connection"
    return "other"


def generation_config(spec: WorkerSpec) -> types.GenerateContentConfig | None:
    fields: dict[str, Any] = {}
    if spec.max_tokens is not None:
        fields["max_output_tokens"] = spec.max_tokens
    if spec.thinking_level:
        fields["thinking_config"] = types.ThinkingConfig(thinking_level=spec.thinking_level)
    return types.GenerateContentConfig(**fields) if fields else None


class _Worker:
    def __init__(self, spec: WorkerSpec, client: Client, report: Callable[[Progress], None] | None) -> None:
        self.spec = spec
        self.client = client
        self.config = generation_config(spec)
        self.report = report
        self.progress = Progress(spec.worker)
        self.records: list[RequestRecord] = []
        self.stats = Stats()
        self.issued = 0
        self.warm_done = 0
        self.began = time.perf_counter()
        self.measure_start: float | None = None
        self.deadline: float | None = None
        self.clock = time.thread_time if spec.cpu_clock == "thread" else time.process_time
        self.cpu_start = 0.0

    # -- which request comes next --------------------------------------------------------------

    def _warming(self, now: float) -> bool:
        spec = self.spec
        if spec.warmup_seconds > 0:
            return now - self.began < spec.warmup_seconds
        return self.issued < spec.warmup_requests

    def next_request(self) -> tuple[int, bool] | None:
        """(global index, warm-up?) of the next request, or None when the measured phase is over."""
        now = time.perf_counter()
        warm = self._warming(now)
        if not warm:
            if self.measure_start is None:
                self._start_measuring(now)
            measured = self.issued - self.warm_done
            if self.spec.requests is not None and measured >= self.spec.requests:
                return None
            if self.deadline is not None and now >= self.deadline:
                return None
        else:
            self.warm_done += 1
        index = self.issued * self.spec.workers + self.spec.worker
        self.issued += 1
        return index, warm

    def _start_measuring(self, now: float) -> None:
        self.measure_start = now
        self.cpu_start = self.clock()
        self.progress.warming = False
        if self.spec.duration is not None:
            self.deadline = now + self.spec.duration

    # -- load shapes ---------------------------------------------------------------------------

    async def closed_loop(self, concurrency: int) -> None:
        async def loop() -> None:
            while (nxt := self.next_request()) is not None:
                await self.one(*nxt)

        await asyncio.gather(*(loop() for _ in range(concurrency)))

    async def open_loop(self, rate: float) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}-{spec.worker}")
        slots = asyncio.Semaphore(spec.concurrency) if spec.concurrency else None
        tasks: set[asyncio.Task[None]] = set()
        constant = spec.arrivals != "poisson"
        at = time.perf_counter()
        if constant and spec.workers > 1:
            # Evenly spaced over all workers: every worker keeps to one grid of wall-clock times, worker i
            # taking the times i/(rate * workers) past a multiple of 1/rate, so their arrivals interleave
            # however far apart the workers (processes, Ray tasks) happened to start.
            period = 1.0 / rate
            at += (spec.worker * period / spec.workers - time.time()) % period
        while True:
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if (nxt := self.next_request()) is None:
                break
            if slots is not None:
                await slots.acquire()
            task = asyncio.create_task(self.one(*nxt, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            at += 1.0 / rate if constant else gap(rng, rate, spec.burstiness)
        if tasks:
            await asyncio.gather(*tasks)

    # -- one request ---------------------------------------------------------------------------

    async def one(self, index: int, warm: bool, slots: asyncio.Semaphore | None = None) -> None:
        spec = self.spec
        prompt = spec.prompts[index % len(spec.prompts)]
        record = RequestRecord(index=index, worker=spec.worker, start=time.time())
        t0 = time.perf_counter()
        chunks = record.chunks
        try:
            if spec.stream:
                stream = self.client.models.generate_content_stream(
                    model=spec.model, contents=prompt, config=self.config
                )
                async with stream:
                    async for chunk in stream:
                        if chunk.text:
                            chunks.append(time.perf_counter() - t0)
                final = stream.response
            else:
                final = await self.client.models.generate_content(model=spec.model, contents=prompt, config=self.config)
            usage = final.usage_metadata
            if usage is not None:
                record.output_tokens = usage.candidates_token_count or 0
                record.input_tokens = usage.prompt_token_count
                record.thought_tokens = usage.thoughts_token_count
        except GenAIError as exc:
            record.error, record.detail = classify(exc), _one_line(exc)
        except Exception as exc:  # a benchmark reports what broke and keeps going
            record.error, record.detail = "other", f"{type(exc).__name__}: {_one_line(exc)}"
        finally:
            if slots is not None:
                slots.release()
        record.end = time.perf_counter() - t0
        if not spec.stream and record.error is None:
            chunks.append(record.end)  # a unary answer is one chunk, arriving at the end
        record.ttft = chunks[0] if chunks else None
        if not warm:
            self.records.append(record)
            self.stats.add(record, spec.slo)
            self.progress.done += 1
            self.progress.errors += record.error is not None
            self.progress.output_tokens += record.output_tokens or 0

    # -- the whole run -------------------------------------------------------------------------

    async def run(self) -> WorkerResult:
        ticker = asyncio.create_task(self._tick()) if self.report is not None else None
        try:
            if self.spec.rate:
                await self.open_loop(self.spec.rate)
            else:
                await self.closed_loop(max(1, self.spec.concurrency or 1))
        finally:
            if ticker is not None:
                ticker.cancel()
        cpu = self.clock() - self.cpu_start if self.measure_start is not None else 0.0
        wall = time.perf_counter() - self.measure_start if self.measure_start is not None else 0.0
        self.stats.add_worker_cpu(cpu, wall)
        self.progress.finished = True
        if self.report is not None:
            self.report(self.progress)
        return WorkerResult(self.spec.worker, self.records, self.stats, self.warm_done, cpu, wall)

    async def _tick(self) -> None:
        assert self.report is not None
        while True:
            self.report(self.progress)
            await asyncio.sleep(_TICK)


def gap(rng: random.Random, rate: float, burstiness: float = 1.0) -> float:
    """Seconds to the next random arrival: exponential (Poisson arrivals) at burstiness 1, else gamma
    with shape ``burstiness`` and the same mean ``1/rate`` (coefficient of variation 1/sqrt(burstiness))."""
    if burstiness == 1.0:
        return rng.expovariate(rate)
    return rng.gammavariate(burstiness, 1.0 / (rate * burstiness))


def client_for(spec: WorkerSpec) -> Client:
    """The worker's client: retries as asked (off by default), pool sized for the load."""
    options: dict[str, Any] = {"timeout": spec.timeout} if spec.timeout else {}
    pool = spec.concurrency if spec.concurrency and not spec.rate else 4096
    return Client(
        api_key=spec.api_key,
        base_url=spec.base_url,
        retry=spec.retry,
        max_connections=max(pool, 1),
        allow_insecure_http=spec.insecure_http,
        max_in_flight=spec.max_in_flight,
        requests_per_minute=spec.rpm,
        tokens_per_minute=spec.tpm,
        **options,
    )


async def run_worker(spec: WorkerSpec, report: Callable[[Progress], None] | None = None) -> WorkerResult:
    """Run one worker to the end in the current event loop; ``report`` gets progress snapshots."""
    async with client_for(spec) as client:
        return await _Worker(spec, client, report).run()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _DETAIL else text[: _DETAIL - 1] + "…"
