"""``client.batches``: the Batch API (gemini-rest.md §11), shaped like the official SDK's ``AsyncBatches``.

Every call is one JSON exchange through ``Client._call``; the wire's Operation decodes into
``types._batches._BatchOperation`` and becomes a :class:`~genai_async.types.BatchJob` there.

What we decided:
- ``src`` of ``create`` takes what the SDK takes (a list of ``InlinedRequest`` or dicts with
  ``contents``/``config``/``metadata``, a ``files/<id>`` name, a ``BatchJobSource``) plus wire-shaped
  ``GenerateContentRequest`` dicts or Structs, ``{"request": ..., "metadata": ...}`` items, and a
  local JSONL path, which is uploaded first with the resumable protocol (MIME type ``jsonl``).
  Inline items and responses-file lines are converted in ``_batch_wire.py``.
- ``wait`` polls ``get``: every ``poll`` seconds for the first :data:`STEADY_POLLS` polls, then
  1.5 times longer each time up to ``max_poll``. It returns the ended job whatever its state (check
  ``job.state``), raises ``errors.TimeoutError`` after ``timeout`` and stops at once when cancelled.
- ``results`` never holds a responses file in memory: the download is read in network-sized pieces,
  split on ``\\n`` and decoded one line at a time.

Left out: Vertex AI sources (GCS, BigQuery), ``dest`` (Vertex only), webhooks beyond passing
``webhook_config`` through.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pathlib
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import errors
from .._coerce import http_options_only, model_path
from .._contents import load_paths
from .._normalize import to_struct
from .._options import with_overrides
from .._pager import Pager, paged
from .._request import Request
from ..types._batches import (
    BatchJob,
    BatchJobSource,
    CreateBatchJobConfig,
    CreateEmbeddingsBatchJobConfig,
    EmbeddingsBatchJobSource,
    InlinedEmbedContentResponse,
    InlinedResponse,
    ListBatchJobsConfig,
    _BatchInput,
    _BatchOperation,
    _BatchSpec,
    _CreateBatchRequest,
    _InlineItem,
    _InlineRequests,
    _ListBatchesResponse,
)
from ..types._requests import _EmbedContentRequest
from ._batch_wire import BatchResult, inline_item, result_line
from .files import file_path
from .models import _embed_config, _embed_inputs

if TYPE_CHECKING:
    from .._client import Client

STEADY_POLLS = 5
_NAME = re.compile(r"^(?:batches/)?([A-Za-z0-9][A-Za-z0-9_-]{0,127})$")
ProgressCallback = Callable[[BatchJob], "Awaitable[None] | None"]


def batch_path(name: object) -> str:
    """``"abc"``, ``"batches/abc"`` or a BatchJob -> ``"batches/abc"``; anything else is refused."""
    value = name.name if isinstance(name, BatchJob) else name
    match = _NAME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise errors.ConfigurationError(
            f"name={value!r} is not a batch job name; pass the name create() returned, such as "
            "'batches/xk2p9w7t3q8v1m4n6b5c' (or just its id)"
        )
    return f"batches/{match.group(1)}"


def poll_delays(poll: float, max_poll: float) -> Iterator[float]:
    """The waits between polls: ``poll`` for :data:`STEADY_POLLS` polls, then x1.5 up to ``max_poll``."""
    delay, count = poll, 0
    while True:
        yield delay
        count += 1
        if count >= STEADY_POLLS:
            delay = min(max(max_poll, poll), delay * 1.5)


class Batches:
    """Batch jobs; reached as ``client.batches`` (or ``client.aio.batches``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(
        self, *, model: str, src: Any, config: CreateBatchJobConfig | dict[str, Any] | None = None
    ) -> BatchJob:
        """Start a batch of generate requests (``models/{m}:batchGenerateContent``); returns it PENDING.

        ``src``: a list of inline requests, a ``files/<id>`` JSONL file, a local JSONL path (uploaded
        for you) or a ``types.BatchJobSource``. Inline batches are limited to 20 MB by the service.
        """
        path = f"{model_path(model)}:batchGenerateContent"
        cfg = to_struct(config, CreateBatchJobConfig) if config is not None else CreateBatchJobConfig()
        source = await self._input(src, "src")
        spec = _BatchSpec(display_name=cfg.display_name, input_config=source, webhook_config=cfg.webhook_config)
        op = await self._client._call(
            "POST", path, _BatchOperation, body=_CreateBatchRequest(batch=spec), http_options=cfg.http_options
        )
        return op.to_job()

    async def create_embeddings(
        self,
        *,
        model: str,
        src: EmbeddingsBatchJobSource | dict[str, Any],
        config: CreateEmbeddingsBatchJobConfig | dict[str, Any] | None = None,
    ) -> BatchJob:
        """Start a batch of embeddings (``models/{m}:asyncBatchEmbedContent``).

        ``src`` is ``{"inlined_requests": {"contents": [...], "config": {...}}}`` (one embedding per
        content, as ``embed_content`` does) or ``{"file_name": "files/<id>"}``.
        """
        name = model_path(model)
        cfg = to_struct(config, CreateEmbeddingsBatchJobConfig) if config is not None else None
        source = to_struct(src, EmbeddingsBatchJobSource, "src")
        if (source.file_name is None) == (source.inlined_requests is None):
            raise errors.ConfigurationError("src: set exactly one of file_name and inlined_requests")
        if source.file_name is not None:
            batch_input = _BatchInput(file_name=file_path(source.file_name, "src.file_name"))
        else:
            inline = source.inlined_requests
            assert inline is not None
            ecfg = _embed_config(inline.config)
            items = [
                _InlineItem(
                    request=_EmbedContentRequest(
                        model=name,
                        content=content,
                        task_type=ecfg.task_type,
                        title=ecfg.title,
                        output_dimensionality=ecfg.output_dimensionality,
                    )
                )
                for content in _embed_inputs(await load_paths(inline.contents))
            ]
            batch_input = _BatchInput(requests=_InlineRequests(requests=items))
        spec = _BatchSpec(display_name=cfg.display_name if cfg else None, input_config=batch_input)
        op = await self._client._call(
            "POST",
            f"{name}:asyncBatchEmbedContent",
            _BatchOperation,
            body=_CreateBatchRequest(batch=spec),
            http_options=cfg and cfg.http_options,
        )
        return op.to_job()

    async def get(self, *, name: str | BatchJob, config: Any = None) -> BatchJob:
        """A job's current state, counts and (once it ended) results (``GET batches/{id}``)."""
        path = batch_path(name)
        op = await self._client._call("GET", path, _BatchOperation, http_options=http_options_only(config, "config"))
        return op.to_job()

    def list(self, *, config: ListBatchJobsConfig | dict[str, Any] | None = None) -> Pager[BatchJob]:
        """Every batch job of the project, page by page (``GET batches``); ``async for`` it or await it."""
        return paged(
            self._client,
            "batches",
            _ListBatchesResponse,
            lambda page: [op.to_job() for op in page.operations or ()],
            config=config,
            config_type=ListBatchJobsConfig,
            name="batches.list",
        )

    async def cancel(self, *, name: str | BatchJob, config: Any = None) -> None:
        """Ask the service to stop a pending or running job (``POST batches/{id}:cancel``)."""
        path = f"{batch_path(name)}:cancel"
        await self._client._call("POST", path, dict, http_options=http_options_only(config, "config"))

    async def delete(self, *, name: str | BatchJob, config: Any = None) -> None:
        """Forget a job (``DELETE batches/{id}``); a running job should be cancelled first."""
        path = batch_path(name)
        await self._client._call("DELETE", path, dict, http_options=http_options_only(config, "config"))

    async def wait(
        self,
        name: str | BatchJob,
        *,
        poll: float = 10.0,
        max_poll: float = 60.0,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> BatchJob:
        """Poll until the job ended and return it, whatever its final state (check ``job.state``).

        Polls every ``poll`` seconds at first, then backs off to at most ``max_poll``.
        ``on_progress(job)`` (a function or a coroutine function) sees every polled job, with
        ``job.batch_stats`` counts as ints. After ``timeout`` seconds ``errors.TimeoutError``
        (``limit="total"``); cancelling the caller stops the polling at once.
        """
        path = batch_path(name)
        for value, what in ((poll, "poll"), (max_poll, "max_poll"), (timeout, "timeout")):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise errors.ConfigurationError(f"{what} must be a number of seconds >= 0, got {value!r}")
        import anyio

        job: BatchJob | None = None
        with anyio.move_on_after(timeout if timeout is not None else float("inf")):
            for delay in poll_delays(poll, max_poll):
                job = await self.get(name=path)
                if on_progress is not None:
                    outcome = on_progress(job)
                    if inspect.isawaitable(outcome):
                        await outcome
                if job.done:
                    return job
                await anyio.sleep(delay)
        state = job.state if job is not None else None
        raise errors.TimeoutError(
            f"batch {path} has not ended after {timeout}s (last state {state}); batches may take up to 24 h, "
            "raise timeout= or call wait() again later",
            limit="total",
            seconds=timeout,
        )

    async def results(self, job: str | BatchJob, *, config: Any = None) -> AsyncGenerator[InlinedResponse, None]:
        """Each result of an ended generate job, in input order: an ``InlinedResponse`` with ``key``
        and ``response`` or ``error``. (Embeddings jobs: :meth:`embedding_results`.)

        Inline results come from the job itself; a responses file is downloaded in pieces and parsed
        line by line, so memory stays flat however big the job. A job that has not succeeded has no
        results: that is a ConfigurationError naming its state. To stop early, wrap it in
        ``contextlib.aclosing(...)``: leaving the block closes the download at once.
        """
        async with contextlib.aclosing(self._results(job, config, embeddings=False)) as items:
            async for item in items:  # (aclosing: leaving early closes the download at once)
                assert isinstance(item, InlinedResponse)
                yield item

    async def embedding_results(
        self, job: str | BatchJob, *, config: Any = None
    ) -> AsyncGenerator[InlinedEmbedContentResponse, None]:
        """Each result of an ended embeddings job (``create_embeddings``), in input order."""
        async with contextlib.aclosing(self._results(job, config, embeddings=True)) as items:
            async for item in items:
                assert isinstance(item, InlinedEmbedContentResponse)
                yield item

    async def _results(
        self, job: str | BatchJob, config: Any, *, embeddings: bool
    ) -> AsyncGenerator[BatchResult, None]:
        if not isinstance(job, BatchJob) or job.dest is None:
            job = await self.get(name=job)
        dest = job.dest
        if dest is None:
            raise errors.ConfigurationError(
                f"batch {job.name} has no results (state {job.state}); wait for JOB_STATE_SUCCEEDED first"
            )
        inline = dest.inlined_embed_content_responses if embeddings else dest.inlined_responses
        if inline is not None:
            for item in inline:
                yield item
        elif (dest.inlined_responses if embeddings else dest.inlined_embed_content_responses) is not None:
            raise _wrong_kind(job, embeddings)
        elif dest.file_name:
            async with contextlib.aclosing(self._lines(dest.file_name, http_options_only(config, "config"))) as lines:
                async for line in lines:
                    result = result_line(line, dest.file_name)
                    if isinstance(result, InlinedEmbedContentResponse) != embeddings:
                        raise _wrong_kind(job, embeddings)
                    yield result

    async def _lines(self, file_name: str, http_options: Any) -> AsyncGenerator[bytes, None]:
        path = f"{file_path(file_name, 'file')}:download"
        settings = with_overrides(self._client._settings, http_options)
        resp = await self._client._attempt(  # one attempt, no retry policy
            Request("GET", path, endpoint=path, settings=settings, params={"alt": "media"}, stream=True)
        )
        try:
            tail = b""
            while chunk := await resp.read_chunk():
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                for line in lines:
                    if line.strip():
                        yield line
            if tail.strip():
                yield tail
        except BaseException:
            resp.close()
            raise
        resp.release()

    async def _input(self, src: Any, what: str) -> _BatchInput:
        if isinstance(src, (str, os.PathLike)):
            text = os.fspath(src)
            if isinstance(src, str) and text.strip().startswith("files/"):
                return _BatchInput(file_name=file_path(text, what))
            import anyio

            local = pathlib.Path(text)
            if not await anyio.Path(local).is_file():
                raise errors.ConfigurationError(
                    f"{what}={text!r} is neither a 'files/<id>' name nor a local JSONL file"
                )
            uploaded = await self._client.files.upload(file=local, config={"mime_type": "jsonl"})
            return _BatchInput(file_name=uploaded.name)
        if isinstance(src, BatchJobSource) or (
            isinstance(src, Mapping) and {"file_name", "fileName", "inlined_requests"} & set(src)
        ):
            source = to_struct(src, BatchJobSource, what)
            if (source.file_name is None) == (source.inlined_requests is None):
                raise errors.ConfigurationError(f"{what}: set exactly one of file_name and inlined_requests")
            if source.file_name is not None:
                return _BatchInput(file_name=file_path(source.file_name, f"{what}.file_name"))
            src = source.inlined_requests
        if not isinstance(src, Sequence) or not src:
            raise errors.ConfigurationError(
                f"{what} must be a non-empty list of requests, a 'files/<id>' name or a local JSONL path, "
                f"got {type(src).__name__}"
            )
        items = [await inline_item(item, f"{what}[{i}]") for i, item in enumerate(src)]
        return _BatchInput(requests=_InlineRequests(requests=items))


def _wrong_kind(job: BatchJob, embeddings: bool) -> errors.ConfigurationError:
    if embeddings:
        return errors.ConfigurationError(f"batch {job.name} is a generate job; read it with batches.results()")
    return errors.ConfigurationError(f"batch {job.name} is an embeddings job; read it with batches.embedding_results()")
