"""The online bulk runner: many ``generate_content`` calls at once, each result handed on as it ends.

``concurrency`` worker tasks share one input source and one client. Each result goes to
``on_result`` the moment its request ends (the file writer appends it there), so nothing waits in
memory for its neighbours: memory depends on ``concurrency``, not on the input size. Input order is
not kept; keys are.

429s are the run's business, not one request's: the runner's own client does not retry them
(other transient errors it does retry, with the client's policy). A 429 goes to the adaptive gate
(``_rate.py``: halve the concurrency, pause every worker for the server's ``RetryInfo`` delay) and
the request is tried again, up to ``max_throttled`` times; then it is written as its error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import APIError, GenAIError
from ._input import Item
from ._journal import Resume, key_text
from ._rate import Adaptive

if TYPE_CHECKING:
    from .._client import Client
    from ..types import GenerateContentResponse

MAX_THROTTLED = 8


@dataclass(slots=True)
class BulkResult:
    """One finished request of a bulk run: ``response`` or ``error``, never both."""

    key: Any
    response: GenerateContentResponse | None = None
    error: GenAIError | None = None
    latency: float = 0.0
    """Seconds from sending to the answer (the last attempt; 0 for a line that was never sent)."""
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Tally:
    """Running totals of a run (what the progress line and the summary show)."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    """Keys already in the output file when the run started (a resume)."""
    prompt_tokens: int = 0
    output_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def add(self, result: BulkResult) -> None:
        self.done += 1
        if result.error is not None:
            self.failed += 1
            kind = error_kind(result.error)
            self.errors[kind] = self.errors.get(kind, 0) + 1
            return
        usage = result.response.usage_metadata if result.response is not None else None
        if usage is not None:
            self.prompt_tokens += usage.prompt_token_count or 0
            self.output_tokens += (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)


def error_kind(error: GenAIError) -> str:
    """``"429 RESOURCE_EXHAUSTED"``, ``"ConfigurationError"``, ``"TimeoutError"``..."""
    if isinstance(error, APIError):
        return f"{error.code} {error.status}" if error.status else str(error.code)
    return type(error).__name__


class _Source:
    """The shared input: a sync iterator read directly, or an async one through a bounded queue."""

    def __init__(
        self, items: Iterable[Item] | AsyncIterable[Item], skip: Resume | None, tally: Tally, depth: int
    ) -> None:
        self._skip = skip if skip is not None and len(skip.done) else None
        self._tally = tally
        self._sync: Iterator[Item] | None = None
        self._queue: asyncio.Queue[Item | None] | None = None
        self._async: AsyncIterable[Item] | None = None
        if isinstance(items, AsyncIterable):
            self._async = items
            self._queue = asyncio.Queue(depth)
        else:
            self._sync = iter(items)

    async def feed(self) -> None:
        """Pump an async input into the queue (run as a task), then the ``None`` end marker."""
        assert self._async is not None and self._queue is not None
        try:
            async for item in self._async:
                await self._queue.put(item)
        finally:
            await self._queue.put(None)  # one end marker: each worker that sees it puts it back

    async def next(self) -> Item | None:
        while True:
            if self._sync is not None:
                item = next(self._sync, None)
            else:
                assert self._queue is not None
                item = await self._queue.get()
                if item is None:
                    self._queue.put_nowait(None)  # keep the end visible to the other workers
            if item is None:
                return None
            if self._skip is not None and key_text(item.key) in self._skip:
                self._tally.skipped += 1
                continue
            return item


async def execute(
    items: Iterable[Item] | AsyncIterable[Item],
    on_result: Callable[[BulkResult], Awaitable[None] | None],
    *,
    client: Client,
    model: str,
    concurrency: int,
    skip: Resume | None = None,
    tally: Tally | None = None,
    gate: Adaptive | None = None,
) -> Tally:
    """Run every item through ``client``; ``on_result`` sees each result as it ends."""
    tally = tally if tally is not None else Tally()
    gate = gate if gate is not None else Adaptive(concurrency)
    source = _Source(items, skip, tally, depth=2 * concurrency)
    generate = client.models.generate_content

    async def worker() -> None:
        while (item := await source.next()) is not None:
            if item.error is None:
                result = await _one(item, generate, model, gate)
            else:  # a bad input line: its error is its result, nothing is sent
                result = BulkResult(item.key, error=item.error, attempts=0)
            tally.add(result)
            waiting = on_result(result)
            if waiting is not None:
                await waiting

    tasks = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    if source._async is not None:
        tasks.append(asyncio.ensure_future(source.feed()))
    try:
        await asyncio.gather(*tasks)  # the first failure (a bug, a full disk) surfaces as itself
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return tally


async def _one(item: Item, generate: Any, model: str, gate: Adaptive) -> BulkResult:
    attempts = 0
    while True:
        attempts += 1
        held = gate.limited
        if held:
            await gate.acquire()
        start = time.perf_counter()
        try:
            response = await generate(model=model, contents=item.contents, config=item.config)
        except APIError as exc:
            if exc.code == 429 and attempts <= MAX_THROTTLED:
                gate.on_throttle(exc.retry_delay)
                continue
            return BulkResult(item.key, error=exc, latency=time.perf_counter() - start, attempts=attempts)
        except GenAIError as exc:
            return BulkResult(item.key, error=exc, latency=time.perf_counter() - start, attempts=attempts)
        finally:
            if held:
                gate.release()
        gate.on_success()
        return BulkResult(item.key, response=response, latency=time.perf_counter() - start, attempts=attempts)


async def iterate(
    items: Iterable[Item] | AsyncIterable[Item],
    *,
    client: Client,
    model: str,
    concurrency: int,
) -> AsyncGenerator[BulkResult, None]:
    """The results as an async iterator, through a bounded queue: a slow consumer slows the run.
    Leaving the loop early (``break``) cancels the requests still running."""
    queue: asyncio.Queue[BulkResult] = asyncio.Queue(2 * concurrency)
    task = asyncio.create_task(execute(items, queue.put, client=client, model=model, concurrency=concurrency))
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
                continue
            getter.cancel()
            while not queue.empty():
                yield queue.get_nowait()
            task.result()  # what the run raised, if anything
            return
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
