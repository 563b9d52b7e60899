"""``genai-async run --ray``: shard the input over the worker actors of an existing Ray cluster.

No cluster code of our own: Ray schedules the actors and moves the data. The driver (this process)
stays the only reader of the input and the only writer of the output, so exactly-once works as for
a local run (``_journal.py``): it skips the keys already done, sends the rest in chunks of
``chunk`` requests to ``workers`` async actors (at most two chunks per actor in flight, so memory
stays flat), and appends each finished chunk's lines with one write. The progress line moves as
chunks finish. A chunk lost to a killed
driver or actor was never written and is redone by the next run; a chunk cut mid-write leaves a
torn last line, cut off on resume.

Each actor has its own client and event loop, ``concurrency / workers`` requests in flight and
``1 / workers`` of the ``--rpm``/``--tpm`` budgets. ``address`` goes to ``ray.init`` (``auto``,
``ray://head:10001``); when Ray is already initialised (a test, a notebook), that session is used.
Every node needs genai-async installed, and the API (or emulator) reachable from the nodes.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ._engine import BulkResult, Tally, execute
from ._input import Item, from_path
from ._journal import Writer, key_text, scan
from ._run import RunProgress, RunSummary, encode_result


class RayUnavailable(RuntimeError):
    """``--ray`` was asked for but Ray is not installed (``genai-async run`` and ``bench``)."""


def import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise RayUnavailable("--ray needs Ray: pip install 'genai-async[ray]'") from exc


class _Worker:
    """One Ray actor: a client of its own and a share of the limits; runs chunks of items."""

    def __init__(
        self,
        model: str,
        api_key: str | None,
        base_url: str | None,
        concurrency: int,
        rpm: float | None,
        tpm: float | None,
        timeout: float | None = None,
    ) -> None:
        self.model, self.concurrency = model, concurrency
        self.options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "requests_per_minute": rpm,
            "tokens_per_minute": tpm,
        }
        if timeout is not None:
            self.options["timeout"] = timeout
        self.client: Any = None

    async def run(self, items: list[Item]) -> tuple[bytes, dict[str, Any]]:
        if self.client is None:
            from .. import bulk
            from .._client import Client

            self.client = Client(retry=bulk.RUNNER_RETRY, max_connections=max(100, self.concurrency), **self.options)
        lines: list[bytes] = []
        tally = Tally()

        def keep(result: BulkResult) -> None:
            lines.append(encode_result(result))

        await execute(items, keep, client=self.client, model=self.model, concurrency=self.concurrency, tally=tally)
        return b"".join(lines), {
            "done": tally.done,
            "failed": tally.failed,
            "prompt": tally.prompt_tokens,
            "output": tally.output_tokens,
            "errors": tally.errors,
        }

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def run_on_ray(
    source: str,
    output: str | os.PathLike[str],
    *,
    address: str | None,
    workers: int,
    model: str,
    api_key: str | None,
    base_url: str | None,
    concurrency: int,
    rpm: float | None = None,
    tpm: float | None = None,
    chunk: int = 256,
    progress: bool = False,
    total: int | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
) -> RunSummary:
    """Run ``source`` over ``workers`` Ray actors into ``output`` (blocking; call it off the event loop)."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        ray.init(address=None if address in (None, "local") else address, include_dashboard=False, log_to_driver=False)
        started = True
    path = os.fspath(output)
    resume = scan(path, retry_failed)
    summary = RunSummary(path, failed_before=resume.failed, torn_line=resume.torn)
    share = max(1, concurrency // workers)
    actor = ray.remote(num_cpus=0)(_Worker)
    actors = [
        actor.remote(model, api_key, base_url, share, rpm and rpm / workers, tpm and tpm / workers, timeout)
        for _ in range(workers)
    ]
    writer = Writer(path)
    tally = Tally()
    bar = RunProgress(sys.stderr, None if total is None else max(0, total - resume.lines), progress)
    start = time.perf_counter()
    try:
        todo = (item for item in from_path(source) if not _skip(item, resume, tally))
        pending: dict[Any, int] = {}
        chunks = _chunks(todo, chunk)
        for n, part in enumerate(chunks):
            if len(pending) >= 2 * workers:
                _collect(ray, pending, writer, tally)
                bar.update(tally)
            pending[actors[n % workers].run.remote(part)] = n
        while pending:
            _collect(ray, pending, writer, tally)
            bar.update(tally)
        ray.get([a.close.remote() for a in actors])
    finally:
        writer.close()
        bar.update(tally, finished=True)
        bar.close()
        for a in actors:
            ray.kill(a)
        if started:
            ray.shutdown()
    summary.done, summary.failed, summary.skipped = tally.done, tally.failed, tally.skipped
    summary.prompt_tokens, summary.output_tokens = tally.prompt_tokens, tally.output_tokens
    summary.errors, summary.elapsed = dict(tally.errors), time.perf_counter() - start
    return summary


def _skip(item: Item, resume: Any, tally: Tally) -> bool:
    if key_text(item.key) in resume:
        tally.skipped += 1
        return True
    return False


def _collect(ray: Any, pending: dict[Any, int], writer: Writer, tally: Tally) -> None:
    """Wait for one chunk and append its lines (one write)."""
    done, _ = ray.wait(list(pending), num_returns=1)
    ref = done[0]
    del pending[ref]
    lines, counts = ray.get(ref)
    writer.write(lines)
    tally.done += counts["done"]
    tally.failed += counts["failed"]
    tally.prompt_tokens += counts["prompt"]
    tally.output_tokens += counts["output"]
    for kind, n in counts["errors"].items():
        tally.errors[kind] = tally.errors.get(kind, 0) + n
