"""Batch jobs (gemini-rest.md §11): ``:batchGenerateContent``, ``:asyncBatchEmbedContent``, ``batches/*``.

Every request of a batch is answered when the batch is created (by the same code that answers
``generateContent``/``embedContent``, so a bad request fails alone with its own gRPC status), and the
job's state is derived from the clock on every read, like the Files API's processing: PENDING for
``schedule[0]`` seconds, then RUNNING for ``schedule[1]`` seconds (``batchStats`` counting up
evenly), then the scripted outcome (SUCCEEDED unless ``Emulator.queue_batch_outcome`` said
otherwise). No background task runs. Inline input gets inline output; file input (a JSONL file
uploaded through the Files API, one ``{"key", "request"}`` per line) gets a generated responses file
(``{"key", "response" | "error"}`` per line) downloadable through ``files/{id}:download``.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._send import Reply, unary
from ._wire import ApiError, now, paginate, timestamp

OUTCOMES = frozenset({"SUCCEEDED", "FAILED", "EXPIRED", "PENDING", "RUNNING"})
_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main."
_GRPC_CODES = {
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
_ENDED_ERRORS = {
    "FAILED": {"code": 13, "message": "The batch failed: an internal error occurred while processing it."},
    "EXPIRED": {"code": 4, "message": "The batch expired before it could be completed."},
    "CANCELLED": {"code": 1, "message": "The batch was cancelled."},
}

Answer = Callable[[str, dict[str, Any], Any], dict[str, Any]]
"""``(kind, model, request) -> response body``; raises ApiError for a request the service refuses."""


@dataclass
class _Result:
    metadata: dict[str, Any] | None
    key: Any
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@dataclass
class _Job:
    name: str
    kind: str
    model: str
    display_name: str | None
    created: _dt.datetime
    started: float
    schedule: tuple[float, float]
    outcome: str
    results: list[_Result]
    input_file: str | None
    cancelled: _dt.datetime | None = None
    responses_file: str | None = None


def _error_status(err: ApiError) -> dict[str, Any]:
    return {"code": _GRPC_CODES.get(err.status, 2), "message": err.message, "status": err.status}


class Batches:
    """In-memory batch jobs. ``read_file(name)`` gives an uploaded file's bytes, ``add_file(data)``
    stores a generated one and returns its name."""

    def __init__(
        self,
        new_id: Callable[[], str],
        answer: Answer,
        read_file: Callable[[str], bytes],
        add_file: Callable[[bytes, str], str],
        schedule: tuple[float, float],
    ) -> None:
        self._new_id = new_id
        self._answer = answer
        self._read_file = read_file
        self._add_file = add_file
        self.schedule = schedule
        self.outcomes: list[str] = []
        self._jobs: dict[str, _Job] = {}

    def reset(self) -> None:
        self._jobs.clear()
        self.outcomes.clear()

    # -- create ----------------------------------------------------------------------------------

    def create(self, kind: str, model: dict[str, Any], body: Any) -> Reply:
        """``kind`` is ``generate`` (batchGenerateContent) or ``embed`` (asyncBatchEmbedContent)."""
        where = "BatchGenerateContentRequest" if kind == "generate" else "AsyncBatchEmbedContentRequest"
        batch = body.get("batch") if isinstance(body, dict) else None
        if not isinstance(batch, dict):
            raise ApiError(400, f"* {where}.batch: batch is required\n")
        config = batch.get("inputConfig", batch.get("input_config"))
        if not isinstance(config, dict):
            raise ApiError(400, f"* {where}.batch.input_config: input_config is required\n")
        file_name = config.get("fileName", config.get("file_name"))
        inline = config.get("requests")
        if (file_name is None) == (inline is None):
            raise ApiError(400, f"* {where}.batch.input_config: set exactly one of file_name and requests\n")
        if file_name is not None:
            results = self._from_file(kind, model, str(file_name))
        else:
            items = inline.get("requests") if isinstance(inline, dict) else None
            if not isinstance(items, list) or not items:
                raise ApiError(400, f"* {where}.batch.input_config.requests.requests: must not be empty\n")
            results = [self._run(kind, model, item, None) for item in items]
        name = f"batches/{self._new_id()}{self._new_id()[:8]}"
        job = _Job(
            name=name,
            kind=kind,
            model=model["name"],
            display_name=batch.get("displayName"),
            created=now(),
            started=time.monotonic(),
            schedule=self.schedule,
            outcome=self.outcomes.pop(0) if self.outcomes else "SUCCEEDED",
            results=results,
            input_file=str(file_name) if file_name is not None else None,
        )
        self._jobs[name] = job
        return unary(self._view(job))

    def _run(self, kind: str, model: dict[str, Any], item: Any, key: Any) -> _Result:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        metadata = metadata if isinstance(metadata, dict) else None
        key = key if key is not None else (metadata or {}).get("key")
        request = item.get("request") if isinstance(item, dict) else None
        try:
            if not isinstance(request, dict):
                raise ApiError(400, "Request contains an invalid argument.")
            return _Result(metadata, key, response=self._answer(kind, model, request))
        except ApiError as err:
            return _Result(metadata, key, error=_error_status(err))

    def _from_file(self, kind: str, model: dict[str, Any], file_name: str) -> list[_Result]:
        data = self._read_file(file_name)
        results = []
        for number, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                error = {"code": 3, "message": f"Line {number} of {file_name} is not valid JSON."}
                results.append(_Result(None, None, error=error))
                continue
            key = item.get("key") if isinstance(item, dict) else None
            results.append(self._run(kind, model, item, key))
        if not results:
            raise ApiError(400, f"The input file {file_name} has no requests.")
        return results

    # -- views -----------------------------------------------------------------------------------

    def _state(self, job: _Job) -> tuple[str, float]:
        """The job's state now, and the share of requests done."""
        if job.cancelled is not None:
            return "CANCELLED", 0.0
        elapsed = time.monotonic() - job.started
        pending, running = job.schedule
        if elapsed < pending or job.outcome == "PENDING":
            return "PENDING", 0.0
        if elapsed < pending + running or job.outcome == "RUNNING":
            return "RUNNING", min(1.0, (elapsed - pending) / running) if running else 0.0
        return job.outcome, 1.0

    def _view(self, job: _Job) -> dict[str, Any]:
        state, share = self._state(job)
        total = len(job.results)
        done = total if state == "SUCCEEDED" else int(total * share) if state == "RUNNING" else 0
        failed = sum(1 for r in job.results[:done] if r.error is not None)
        stats = {"requestCount": str(total)}
        for name, count in (
            ("successfulRequestCount", done - failed),
            ("failedRequestCount", failed),
            ("pendingRequestCount", total - done if state in ("PENDING", "RUNNING") else 0),
        ):
            if count:
                stats[name] = str(count)
        ended = state in ("SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED")
        updated = job.cancelled or (job.created + _dt.timedelta(seconds=sum(job.schedule)) if ended else job.created)
        kind = "GenerateContentBatch" if job.kind == "generate" else "EmbedContentBatch"
        meta: dict[str, Any] = {"@type": _TYPE + kind, "model": job.model}
        if job.display_name:
            meta["displayName"] = job.display_name
        meta.update(createTime=timestamp(job.created), updateTime=timestamp(updated), batchStats=stats)
        meta.update(state=f"BATCH_STATE_{state}", name=job.name)
        if job.input_file:
            meta["inputConfig"] = {"fileName": job.input_file}
        view: dict[str, Any] = {"name": job.name, "metadata": meta}
        if not ended:
            return view
        meta["endTime"] = timestamp(updated)
        view["done"] = True
        if state != "SUCCEEDED":
            view["error"] = dict(_ENDED_ERRORS[state])
            return view
        output = self._output(job)
        meta["output"] = output
        view["response"] = {"@type": _TYPE + kind + "Output", **output}
        return view

    def _output(self, job: _Job) -> dict[str, Any]:
        if job.input_file is not None:
            if job.responses_file is None:
                job.responses_file = self._add_file(self._responses_jsonl(job), job.name.split("/")[1])
            return {"responsesFile": job.responses_file}
        items = []
        for result in job.results:
            item: dict[str, Any] = {"response": result.response} if result.error is None else {"error": result.error}
            if result.metadata is not None:
                item["metadata"] = result.metadata
            items.append(item)
        return {"inlinedResponses": {"inlinedResponses": items}}

    @staticmethod
    def _responses_jsonl(job: _Job) -> bytes:
        lines = []
        for result in job.results:
            line: dict[str, Any] = {} if result.key is None else {"key": result.key}
            if result.error is None:
                line["response"] = result.response
            else:
                line["error"] = result.error
            lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        return ("\n".join(lines) + "\n").encode()

    # -- batches/* -------------------------------------------------------------------------------

    def _lookup(self, batch_id: str) -> _Job:
        job = self._jobs.get(f"batches/{batch_id}")
        if job is None:
            raise ApiError(404, f"Batch batches/{batch_id} was not found.", status="NOT_FOUND")
        return job

    def get(self, batch_id: str) -> Reply:
        return unary(self._view(self._lookup(batch_id)))

    def list(self, query: dict[str, str]) -> Reply:
        views = [self._view(job) for job in reversed(self._jobs.values())]
        return unary(paginate(views, query, "operations", default=50, maximum=1000))

    def cancel(self, batch_id: str) -> Reply:
        job = self._lookup(batch_id)
        state, _ = self._state(job)
        if state not in ("PENDING", "RUNNING"):
            raise ApiError(
                400, f"Batch {job.name} is already in a terminal state ({state}).", status="FAILED_PRECONDITION"
            )
        job.cancelled = now()
        return unary({})

    def delete(self, batch_id: str) -> Reply:
        job = self._lookup(batch_id)
        del self._jobs[job.name]
        return unary({})
