"""Where workers run: this process, ``--processes`` spawned processes, or Ray tasks; and the emulator.

- One worker runs in the main thread's event loop.
- Several workers run one event loop each in processes started with ``spawn`` (no forked event
  loops or sockets). They report ready once imported and start together on one signal, send progress
  snapshots and finally their :class:`~genai_async._cli.bench.load.WorkerResult` through one queue.
  A worker that dies without a result fails the run with its exit code.
- ``--ray`` hands the same specs to :mod:`genai_async._cli.bench.ray_runner`.
- ``--emulator`` serves the emulator from a daemon thread with its own event loop in this process,
  so it keeps serving while the main thread runs a worker or waits for processes. Its CPU is then
  not the load generator's: a worker sharing the process reads its own thread's CPU clock.

Whatever ran, the results merge the same way (:func:`merge_results`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..._progress import Progress
from .config import BenchConfig, worker_specs
from .load import WorkerResult, WorkerSpec, run_worker
from .metrics import RequestRecord, Stats, merged

_START_TIMEOUT = 300.0


@dataclass
class StepResult:
    """The merged outcome of one load level."""

    concurrency: int | None
    rate: float | None
    records: list[RequestRecord]
    stats: Stats
    summary: dict[str, Any]
    warmup: int

    @property
    def load(self) -> str:
        return f"{self.rate:g} req/s" if self.rate else f"concurrency {self.concurrency}"


class WorkerFailed(RuntimeError):
    """A worker process or task ended without a result."""


def merge_results(
    results: list[WorkerResult], cfg: BenchConfig, concurrency: int | None, rate: float | None
) -> StepResult:
    """One step from its workers' results; with several workers the summary's ``client`` block
    also tells how long they ran together (``workers_overlap``: the share of the run window in which
    every worker was measuring; Ray tasks that had to wait for a free CPU make it small)."""
    records = sorted((r for res in results for r in res.records), key=lambda r: (r.start, r.index))
    stats = merged(res.stats for res in results)
    summary = stats.summary(cfg.slo, cfg.percentiles)
    starts = [res.stats.first_start for res in results if res.stats.first_start is not None]
    ends = [res.stats.last_end for res in results if res.stats.last_end is not None]
    if len(results) > 1 and len(starts) == len(ends) == len(results):
        union, both = max(ends) - min(starts), min(ends) - max(starts)
        summary["client"]["workers_overlap"] = round(max(0.0, both) / union, 4) if union > 0 else 1.0
    return StepResult(concurrency, rate, records, stats, summary, sum(r.warmup for r in results))


def run_step(
    cfg: BenchConfig,
    base_url: str | None,
    *,
    concurrency: int | None,
    rate: float | None,
    report: Callable[[Progress], None] | None,
    shared_process: bool,
) -> StepResult:
    """Run one load level on every worker and merge what they measured. With the emulator in this
    process, the summary's ``client`` block also has ``host_cpu_utilisation``: this process's CPU
    (the emulator, plus the worker when there is one process) over the step, as a share of a core."""
    clock = "thread" if shared_process and cfg.processes == 1 and not cfg.ray else "process"
    specs = worker_specs(cfg, base_url, concurrency=concurrency, rate=rate, cpu_clock=clock)
    cpu, wall = time.process_time(), time.perf_counter()
    if cfg.ray:
        from .ray_runner import run_on_ray

        results = run_on_ray(specs, cfg.ray_address, cfg.ray_runtime_env, report)
    elif len(specs) == 1:
        results = [asyncio.run(run_worker(specs[0], report))]
    else:
        results = run_processes(specs, report)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    step = merge_results(results, cfg, concurrency, rate)
    if shared_process and wall > 0:
        step.summary["client"]["host_cpu_utilisation"] = round(cpu / wall, 4)
    return step


# -- processes -------------------------------------------------------------------------------------


def _child(spec: WorkerSpec, channel: Any, go: Any) -> None:
    try:
        channel.put(("ready", spec.worker))
        if not go.wait(_START_TIMEOUT):
            raise WorkerFailed("no start signal from the parent process")
        result = asyncio.run(run_worker(spec, lambda p: channel.put(("progress", p))))
        channel.put(("result", result))
    except BaseException:
        channel.put(("error", spec.worker, traceback.format_exc()))
        raise


def run_processes(specs: list[WorkerSpec], report: Callable[[Progress], None] | None) -> list[WorkerResult]:
    """One spawned process per spec; returns their results in worker order."""
    ctx = multiprocessing.get_context("spawn")
    channel = ctx.Queue()
    go = ctx.Event()
    procs = [ctx.Process(target=_child, args=(spec, channel, go), daemon=True) for spec in specs]
    ready: set[int] = set()
    results: dict[int, WorkerResult] = {}
    try:
        for proc in procs:
            proc.start()
        while len(results) < len(specs):
            try:
                message = channel.get(timeout=0.25)
            except queue.Empty:
                _check_alive(procs, results)
                continue
            if message[0] == "ready":
                ready.add(message[1])
                if len(ready) == len(specs):
                    go.set()  # every worker is imported and waiting: start them together
            elif message[0] == "progress" and report is not None:
                report(message[1])
            elif message[0] == "result":
                results[message[1].worker] = message[1]
            elif message[0] == "error":
                raise WorkerFailed(f"worker {message[1]} failed:\n{message[2]}")
    finally:
        complete = len(results) == len(specs)
        for proc in procs:
            if not complete and proc.is_alive():
                proc.terminate()  # a failed or interrupted run sends nothing more
            proc.join(10)
        channel.close()
        channel.join_thread()
    return [results[i] for i in sorted(results)]


def _check_alive(procs: list[Any], results: dict[int, WorkerResult]) -> None:
    for i, proc in enumerate(procs):
        if i not in results and not proc.is_alive() and proc.exitcode is not None:
            raise WorkerFailed(f"worker {i} exited with code {proc.exitcode} before reporting a result")


# -- the emulator ----------------------------------------------------------------------------------


class EmulatorThread:
    """An in-process emulator on 127.0.0.1, served by a daemon thread's event loop."""

    def __init__(self, **emulator_kwargs: Any) -> None:
        self.kwargs = emulator_kwargs
        self.base_url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="genai-async-emulator", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from ...emulator import running

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running(**self.kwargs) as emu:
            self.base_url = emu.base_url
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> EmulatorThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None or not self.base_url:
            raise RuntimeError(f"the emulator did not start: {self._error}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop may already be closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@contextlib.contextmanager
def target(cfg: BenchConfig) -> Iterator[tuple[str | None, bool]]:
    """(base URL, whether the server shares this process) for the run's lifetime."""
    if not cfg.emulator:
        yield cfg.base_url, False
        return
    with EmulatorThread(
        time_to_first_chunk=cfg.emulator_ttft,
        tokens_per_second=cfg.emulator_tps,
        chunk_tokens=cfg.emulator_chunk_tokens,
        seed=cfg.seed,
        max_concurrency=cfg.emulator_max_concurrency,
        overflow=cfg.emulator_overflow,
    ) as emu:
        yield emu.base_url, True
