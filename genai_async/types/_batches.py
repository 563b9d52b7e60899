"""Batch jobs (docs/gemini-rest.md §11), named as in the official SDK's ``types``.

The wire answers every batch call with a long-running Operation whose ``metadata`` is the batch:
``{"name", "metadata": {"state": "BATCH_STATE_RUNNING", "batchStats": {...}, "output"?: ...}, "done"?,
"response"?, "error"?}``. That wire shape decodes into the private ``_BatchOperation``, and
``to_job()`` turns it into the public :class:`BatchJob` the way the official SDK does: the state is
renamed ``JOB_STATE_*`` (``BATCH_STATE_RUNNING`` -> ``JobState.JOB_STATE_RUNNING``), the output
becomes ``dest``. Two additions over the SDK: ``batch_stats`` (request counts as ``int``; the wire
sends int64 strings) and ``InlinedResponse.key`` (the ``metadata["key"]`` every result carries).
"""

from typing import Any

import msgspec

from ._base import Int64, _Base, _coerce_int64
from ._config import EmbedContentConfig, GenerateContentConfig, HttpOptions
from ._enums import _OpenEnum
from ._resources import ContentEmbedding
from ._response import GenerateContentResponse


class JobState(_OpenEnum):
    """A batch job's state; poll until ``job.done`` (succeeded, failed, cancelled or expired)."""

    JOB_STATE_UNSPECIFIED = "JOB_STATE_UNSPECIFIED"
    JOB_STATE_QUEUED = "JOB_STATE_QUEUED"
    JOB_STATE_PENDING = "JOB_STATE_PENDING"
    JOB_STATE_RUNNING = "JOB_STATE_RUNNING"
    JOB_STATE_SUCCEEDED = "JOB_STATE_SUCCEEDED"
    JOB_STATE_FAILED = "JOB_STATE_FAILED"
    JOB_STATE_CANCELLING = "JOB_STATE_CANCELLING"
    JOB_STATE_CANCELLED = "JOB_STATE_CANCELLED"
    JOB_STATE_PAUSED = "JOB_STATE_PAUSED"
    JOB_STATE_EXPIRED = "JOB_STATE_EXPIRED"
    JOB_STATE_UPDATING = "JOB_STATE_UPDATING"
    JOB_STATE_PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"


JOB_STATES_ENDED = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    }
)


class JobError(_Base):
    """Why a job, or one request of it, failed (a ``google.rpc.Status``: gRPC ``code``, not HTTP)."""

    code: int | None = None
    message: str | None = None
    details: list[Any] | None = None
    status: str | None = None
    """Present in the responses file of some jobs (``"INVALID_ARGUMENT"``...)."""


class BatchStats(_Base):
    """How many requests of a job are done; counts are ints (int64 strings on the wire)."""

    request_count: Int64 | None = None
    successful_request_count: Int64 | None = None
    failed_request_count: Int64 | None = None
    pending_request_count: Int64 | None = None

    def __post_init__(self) -> None:
        _coerce_int64(
            self, ("request_count", "successful_request_count", "failed_request_count", "pending_request_count")
        )

    @property
    def finished(self) -> int:
        """Requests done so far, succeeded or failed."""
        return (self.successful_request_count or 0) + (self.failed_request_count or 0)


class InlinedRequest(_Base):
    """One request of an inline batch: ``contents`` and a flat ``config``, as for ``generate_content``."""

    model: str | None = None
    contents: Any = None
    metadata: dict[str, Any] | None = None
    """Sent back with the result; put your own ``{"key": "..."}`` here."""
    config: GenerateContentConfig | None = None


class InlinedResponse(_Base):
    """One result of a batch: ``response`` or ``error``, with the request's ``metadata``."""

    response: GenerateContentResponse | None = None
    metadata: dict[str, Any] | None = None
    error: JobError | None = None

    @property
    def key(self) -> Any:
        """``metadata["key"]`` (the line's ``key`` in a responses file), or None."""
        return None if self.metadata is None else self.metadata.get("key")


class SingleEmbedContentResponse(_Base):
    """The embedding of one request of an embeddings batch."""

    embedding: ContentEmbedding | None = None
    token_count: Int64 | None = None

    def __post_init__(self) -> None:
        _coerce_int64(self, ("token_count",))


class InlinedEmbedContentResponse(_Base):
    """One result of an embeddings batch: ``response`` or ``error``, with the request's ``metadata``."""

    response: SingleEmbedContentResponse | None = None
    metadata: dict[str, Any] | None = None
    error: JobError | None = None

    @property
    def key(self) -> Any:
        return None if self.metadata is None else self.metadata.get("key")


class BatchJobSource(_Base):
    """The ``src`` of ``batches.create``: an uploaded JSONL file or inline requests (set one)."""

    file_name: str | None = None
    """``files/<id>`` of an uploaded JSONL file, one ``{"key", "request"}`` object per line."""
    inlined_requests: list[InlinedRequest] | None = None


class EmbedContentBatch(_Base):
    """The inline input of an embeddings batch: the texts to embed and one config for all."""

    contents: Any = None
    config: EmbedContentConfig | None = None


class EmbeddingsBatchJobSource(_Base):
    """The ``src`` of ``batches.create_embeddings`` (set one)."""

    file_name: str | None = None
    inlined_requests: EmbedContentBatch | None = None


class BatchJobDestination(_Base):
    """Where a finished job's results are: a responses file, or inline (in input order)."""

    file_name: str | None = None
    """``files/<id>`` of the JSONL responses file; read it with ``client.batches.results(job)``."""
    inlined_responses: list[InlinedResponse] | None = None
    inlined_embed_content_responses: list[InlinedEmbedContentResponse] | None = None


class WebhookConfig(_Base):
    """Where the service calls back when the job ends (newest API surface; passed through as is)."""

    uris: list[str] | None = None
    user_metadata: dict[str, Any] | None = None


class CreateBatchJobConfig(_Base):
    """Optional settings for ``batches.create``."""

    http_options: HttpOptions | None = None
    display_name: str | None = None
    webhook_config: WebhookConfig | None = None


class CreateEmbeddingsBatchJobConfig(_Base):
    """Optional settings for ``batches.create_embeddings``."""

    http_options: HttpOptions | None = None
    display_name: str | None = None


class ListBatchJobsConfig(_Base):
    """Paging settings for ``batches.list``."""

    http_options: HttpOptions | None = None
    page_size: int | None = None
    page_token: str | None = None


class BatchJob(_Base):
    """A batch job: its state, request counts and, once it ended, where the results are."""

    name: str | None = None
    """``batches/{id}``."""
    display_name: str | None = None
    state: JobState | None = None
    """``job.state.name`` is ``"JOB_STATE_RUNNING"`` and so on."""
    error: JobError | None = None
    """Why the whole job failed (not set for failures of single requests)."""
    create_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    update_time: str | None = None
    model: str | None = None
    src: BatchJobSource | None = None
    dest: BatchJobDestination | None = None
    batch_stats: BatchStats | None = None

    @property
    def done(self) -> bool:
        """True once the job ended (succeeded, failed, cancelled or expired)."""
        return self.state is not None and self.state.value in JOB_STATES_ENDED


# -- the wire shapes (private) ---------------------------------------------------------------------


class _InlinedWire(_Base):
    response: msgspec.Raw = msgspec.Raw()
    metadata: dict[str, Any] | None = None
    error: JobError | None = None


class _InlinedList(_Base):
    inlined_responses: list[_InlinedWire] | None = None


class _BatchOutput(_Base):
    responses_file: str | None = None
    inlined_responses: _InlinedList | None = None


class _InputConfig(_Base):
    file_name: str | None = None


class _BatchMetadata(_Base):
    type_url: str | None = msgspec.field(default=None, name="@type")
    model: str | None = None
    display_name: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    end_time: str | None = None
    start_time: str | None = None
    batch_stats: BatchStats | None = None
    state: str | None = None
    name: str | None = None
    input_config: _InputConfig | None = None
    output: _BatchOutput | None = None


class _BatchOperation(_Base):
    """``batches/{id}`` as the wire sends it; ``to_job()`` gives the public BatchJob."""

    name: str | None = None
    metadata: _BatchMetadata | None = None
    done: bool | None = None
    error: JobError | None = None

    def to_job(self) -> BatchJob:
        meta = self.metadata or _BatchMetadata()
        state = meta.state
        if state is not None and state.startswith("BATCH_STATE_"):
            state = "JOB_STATE_" + state[len("BATCH_STATE_") :]
        embeds = (meta.type_url or "").endswith("EmbedContentBatch")
        dest = None if meta.output is None else _destination(meta.output, embeds)
        src = None
        if meta.input_config is not None and meta.input_config.file_name:
            src = BatchJobSource(file_name=meta.input_config.file_name)
        return BatchJob(
            name=self.name or meta.name,
            display_name=meta.display_name,
            state=None if state is None else JobState(state),
            error=self.error,
            create_time=meta.create_time,
            start_time=meta.start_time,
            end_time=meta.end_time,
            update_time=meta.update_time,
            model=meta.model,
            src=src,
            dest=dest,
            batch_stats=meta.batch_stats,
        )


def _destination(output: _BatchOutput, embeds: bool) -> BatchJobDestination:
    """Inline results decode as generate or embedding responses, as the metadata's ``@type`` says."""
    items = (output.inlined_responses and output.inlined_responses.inlined_responses) or []
    if embeds:
        embed_items = [
            InlinedEmbedContentResponse(
                response=msgspec.json.decode(it.response, type=SingleEmbedContentResponse) if it.response else None,
                metadata=it.metadata,
                error=it.error,
            )
            for it in items
        ]
        return BatchJobDestination(
            file_name=output.responses_file, inlined_embed_content_responses=embed_items if items else None
        )
    responses = [
        InlinedResponse(
            response=msgspec.json.decode(it.response, type=GenerateContentResponse) if it.response else None,
            metadata=it.metadata,
            error=it.error,
        )
        for it in items
    ]
    return BatchJobDestination(file_name=output.responses_file, inlined_responses=responses if items else None)


class _ListBatchesResponse(_Base):
    operations: list[_BatchOperation] | None = None
    next_page_token: str | None = None


# -- request bodies (private) ----------------------------------------------------------------------


class _InlineItem(_Base):
    request: Any = None
    """A GenerateContentRequest, or an embed request (``{"model", "content", "taskType"...}``)."""
    metadata: dict[str, Any] | None = None


class _InlineRequests(_Base):
    requests: list[_InlineItem] | None = None


class _BatchInput(_Base):
    file_name: str | None = None
    requests: _InlineRequests | None = None


class _BatchSpec(_Base):
    display_name: str | None = None
    input_config: _BatchInput | None = None
    webhook_config: WebhookConfig | None = None


class _CreateBatchRequest(_Base):
    """``models/{m}:batchGenerateContent`` and ``:asyncBatchEmbedContent`` body."""

    batch: _BatchSpec | None = None
