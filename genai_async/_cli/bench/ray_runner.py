"""``--ray``: run the load workers as Ray tasks on an existing Ray cluster, as llmperf does.

Each task runs one worker's event loop (:func:`~genai_async._cli.bench.load.run_worker`) on one CPU of
whichever node Ray picks, and returns its :class:`~genai_async._cli.bench.load.WorkerResult`: the raw
request records and the mergeable histograms. The driver merges them exactly like results from
local processes. Nothing here manages nodes; Ray does. ``ray`` is imported only when ``--ray`` is
used (the optional ``ray`` extra).

- ``address`` goes to ``ray.init``: ``"auto"`` or ``ray://host:10001`` joins a cluster, ``None``
  uses ``RAY_ADDRESS`` or starts a local Ray. When Ray is already initialised (a test, a notebook)
  that session is used and left running.
- Every node needs genai-async installed, or a ``runtime_env`` that brings it
  (``{"pip": ["genai-async"]}``, or ``{"py_modules": [...]}`` for a checkout).
- Tasks start when Ray schedules them; the run window is earliest start to latest end, so a late
  task shows up as a longer window, never as a faster one.
- The progress line advances as tasks finish (no live per-request stream from the cluster); its
  clock starts when the tasks are submitted.
- Tasks start when Ray schedules them, so with fewer free CPUs than tasks some wait for others to
  finish; the report then warns that the workers overlapped for only part of the run window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..._bulk._ray import import_ray
from ..._progress import Progress
from .load import WorkerResult, WorkerSpec, run_worker


def ray_worker(spec: WorkerSpec) -> WorkerResult:
    """The body of one Ray task: one worker, one event loop."""
    return asyncio.run(run_worker(spec))


def run_on_ray(
    specs: list[WorkerSpec],
    address: str | None,
    runtime_env: dict[str, Any] | None,
    report: Callable[[Progress], None] | None = None,
) -> list[WorkerResult]:
    """Run every spec as a Ray task (one CPU each) and return the results in worker order."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"address": address, "include_dashboard": False, "log_to_driver": False}
        if runtime_env:
            options["runtime_env"] = runtime_env
        ray.init(**options)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(ray_worker)
        pending = [task.remote(spec) for spec in specs]
        if report is not None:  # the progress clock starts now: tasks report only when they end
            for spec in specs:
                report(Progress(spec.worker, warming=False))
        results: list[WorkerResult] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            result: WorkerResult = ray.get(done[0])
            results.append(result)
            if report is not None:
                errors = sum(1 for r in result.records if r.error is not None)
                report(
                    Progress(
                        result.worker,
                        len(result.records),
                        errors,
                        result.stats.output_tokens,
                        warming=False,
                        finished=True,
                    )
                )
        return sorted(results, key=lambda r: r.worker)
    finally:
        if started:
            ray.shutdown()
