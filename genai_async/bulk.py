"""Bulk generation from Python: many prompts through the online API, results kept as they come.

    import genai_async.bulk

    summary = await genai_async.bulk.run("prompts.jsonl", output="results.jsonl", model="gemini-3.5-flash")
    async for result in genai_async.bulk.iterate(["Hi", "Bye"], model="gemini-3.5-flash"):
        print(result.key, result.response.text if result.ok else result.error)

``requests`` is a JSONL path (one request per line, see the README's "Bulk runs" section), or an
iterable / async iterable of prompt strings or request dicts (``{"key", "prompt"}``, ``{"key",
"contents", "config"}`` or ``{"key", "request"}``); keys default to the position, from 1.
``run`` is what ``genai-async run`` does: results appended to ``output`` one line each, a rerun
resumes (keys already in ``output`` are skipped), 429s slow the whole run down. ``iterate`` yields
:class:`BulkResult` objects instead, in completion order, and keeps nothing.

Without ``client=``, a client is made (and closed) for the run with ``api_key``/``base_url`` (or the
environment) and the given limits, retrying everything but 429 (the runner handles those). With your
own client, its retry policy applies as configured.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable
from typing import Any

from ._bulk import _input
from ._bulk._engine import BulkResult
from ._bulk._engine import iterate as _iterate
from ._bulk._input import Item
from ._bulk._run import RunSummary, run_to_file
from ._client import Client
from ._options import DEFAULT_MAX_CONNECTIONS
from .errors import ConfigurationError

__all__ = ["BulkResult", "RunSummary", "iterate", "run"]

RUNNER_RETRY = {"http_status_codes": [408, 500, 502, 503, 504]}
"""The runner's client retries these; 429 is left to the run's adaptive gate."""


def items_of(requests: Any) -> Iterable[Item] | AsyncIterable[Item]:
    """Items from a JSONL path, or from an iterable / async iterable of strings or dicts."""
    if isinstance(requests, (str, os.PathLike)):
        return _input.from_path(requests)
    if isinstance(requests, AsyncIterable):
        return _async_items(requests)
    if isinstance(requests, Iterable) and not isinstance(requests, (bytes, dict)):
        return (_item(value, i) for i, value in enumerate(requests, 1))
    raise ConfigurationError(
        f"requests must be a JSONL path or an iterable of prompts/request dicts, got {type(requests).__name__}"
    )


def _item(value: Any, position: int) -> Item:
    return value if isinstance(value, Item) else _input.to_item(value, position, f"requests[{position - 1}]")


async def _async_items(requests: AsyncIterable[Any]) -> AsyncIterator[Item]:
    position = 0
    async for value in requests:
        position += 1
        yield _item(value, position)


@contextlib.asynccontextmanager
async def runner_client(
    client: Client | None,
    *,
    concurrency: int,
    api_key: str | None = None,
    base_url: str | None = None,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    timeout: float | None = None,
) -> AsyncIterator[Client]:
    """``client`` as given, or one made for the run (closed at the end)."""
    if client is not None:
        yield client
        return
    options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    made = Client(
        api_key=api_key,
        base_url=base_url,
        retry=RUNNER_RETRY,
        max_connections=max(concurrency, DEFAULT_MAX_CONNECTIONS),
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        **options,
    )
    async with made:
        yield made


def _check(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a positive int, got {concurrency!r}")


async def run(
    requests: Any,
    *,
    output: str | os.PathLike[str],
    model: str,
    client: Client | None = None,
    concurrency: int = 32,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    progress: bool = False,
    retry_failed: bool = False,
) -> RunSummary:
    """Run every request and append one JSON line per key to ``output``; rerun to resume.

    Returns the :class:`RunSummary` (counts by outcome, tokens, rate). Failed requests are written
    with their typed error and counted in ``summary.failed``; they do not raise. ``retry_failed``
    drops the error lines already in ``output`` first, so those keys run again (still once each).
    """
    _check(concurrency)
    total = None
    if isinstance(requests, (str, os.PathLike)):
        total = _input.count_lines(requests) if progress else None
    items = items_of(requests)
    async with runner_client(
        client,
        concurrency=concurrency,
        api_key=api_key,
        base_url=base_url,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
    ) as c:
        return await run_to_file(
            items,
            output,
            client=c,
            model=model,
            concurrency=concurrency,
            total=total,
            progress=progress,
            retry_failed=retry_failed,
        )


async def iterate(
    requests: Any,
    *,
    model: str,
    client: Client | None = None,
    concurrency: int = 32,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
) -> AsyncGenerator[BulkResult, None]:
    """Yield a :class:`BulkResult` per request as each one ends (completion order, nothing kept).

    To stop early, ``break`` inside ``async with contextlib.aclosing(bulk.iterate(...)) as results:``
    (or call ``await results.aclose()``): the requests still running are cancelled at once."""
    _check(concurrency)
    items = items_of(requests)
    async with runner_client(
        client,
        concurrency=concurrency,
        api_key=api_key,
        base_url=base_url,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
    ) as c:
        async with contextlib.aclosing(_iterate(items, client=c, model=model, concurrency=concurrency)) as results:
            async for result in results:  # (aclosing: leaving early stops the run's tasks at once)
                yield result


for _name in ("BulkResult", "RunSummary"):
    globals()[_name].__module__ = "genai_async.bulk"
del _name
