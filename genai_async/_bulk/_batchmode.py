"""``genai-async run --batch-api``: the same input and output, through the Batch API (half price, up
to 24 h) instead of online calls.

Steps: the keys not yet in the output are written as a Batch API JSONL (``{"key", "request"}`` per
line, next to the output as ``<output>.batch-input.jsonl``), uploaded, and one job is created. Its
name goes to ``<output>.batch.json`` at once. The job is polled (progress on stderr), then its
responses file is streamed into the output, one line per key, exactly as the online runner writes
them. Input lines that cannot be used are written as their ConfigurationError right away.

Resume: a rerun that finds ``<output>.batch.json`` does not create a job; it waits for the recorded
one and streams the results whose keys are not in the output yet (a kill while results were being
written loses nothing). A recorded job the service no longer knows (404: deleted) is forgotten and
the missing keys are submitted again. When the job ends without success (failed, expired, cancelled) the record is
removed and the run fails: the next run submits the remaining keys as a new job. A kill between
"job created" and "name recorded" is covered too: the record holds a run id before ``create`` is sent,
the job's display name carries it, and the next run finds the job in ``batches.list()`` instead of
paying for a second one.

Keys: the Batch API's keys are strings. A string key is sent as is; any other key (line numbers)
as ``"json:" + its JSON``, and so is a string that itself starts with ``json:``; results map back.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

import msgspec

from .._coerce import generate_request
from ..errors import APIError, GenAIError
from ..types import BatchJob, JobState
from ._engine import BulkResult, Tally
from ._input import from_path
from ._journal import Writer, key_text, scan
from ._run import RunSummary, encode_result

if TYPE_CHECKING:
    from .._client import Client

_PREFIX = "json:"
_ENCODE = msgspec.json.Encoder()


class BatchJobError(GenAIError):
    """The batch job ended without success (failed, expired or cancelled)."""


class BatchItemError(GenAIError):
    """One request of a batch job failed; ``code`` is the gRPC status code the Batch API reports."""

    def __init__(self, code: int | None, status: str | None, message: str) -> None:
        self.code, self.status, self.message = code, status, message
        super().__init__(message)


def batch_key(key: Any) -> str:
    if isinstance(key, str) and not key.startswith(_PREFIX):
        return key
    return _PREFIX + json.dumps(key)


def original_key(key: Any) -> Any:
    if isinstance(key, str) and key.startswith(_PREFIX):
        return json.loads(key[len(_PREFIX) :])
    return key


async def run_batch(
    source: str,
    output: str | os.PathLike[str],
    *,
    client: Client,
    model: str,
    poll: float,
    progress: bool,
    retry_failed: bool = False,
) -> RunSummary:
    path = os.fspath(output)
    record_path = path + ".batch.json"
    resume = scan(path, retry_failed)
    summary = RunSummary(path, failed_before=resume.failed, torn_line=resume.torn)
    tally = Tally()
    start = time.perf_counter()
    writer = Writer(path)
    try:
        job_name = await _recorded(client, record_path)
        if job_name is not None and not await _exists(client, job_name):
            os.unlink(record_path)  # deleted on the service side: submit what is missing again
            job_name = None
        if job_name is None:
            job_name = await _submit(source, path, record_path, client, model, resume, tally, writer)
        if job_name is not None:
            summary.batch_job = job_name
            job = await client.batches.wait(job_name, poll=poll, on_progress=_reporter(progress))
            if job.state is not JobState.JOB_STATE_SUCCEEDED:
                os.unlink(record_path)
                reason = job.error.message if job.error and job.error.message else "no reason given"
                raise BatchJobError(
                    f"batch {job_name} ended {job.state}: {reason}; run the same command again to submit the "
                    "keys still missing from the output as a new job"
                )
            await _collect(client, job, resume, tally, writer)
            os.unlink(record_path)
            _remove(path + ".batch-input.jsonl")
    finally:
        writer.close()
        summary.done, summary.failed, summary.skipped = tally.done, tally.failed, tally.skipped
        summary.prompt_tokens, summary.output_tokens, summary.errors = (
            tally.prompt_tokens,
            tally.output_tokens,
            dict(tally.errors),
        )
        summary.elapsed = time.perf_counter() - start
    return summary


async def _exists(client: Client, job_name: str) -> bool:
    try:
        await client.batches.get(name=job_name)
    except APIError as exc:
        if exc.code == 404:
            return False
        raise
    return True


def _read_record(record_path: str) -> dict[str, Any]:
    try:
        with open(record_path, "rb") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


async def _recorded(client: Client, record_path: str) -> str | None:
    """The recorded job's name; for a run killed between "create" and "record the name", the job
    found by the display name that carries the run's id (``pending``)."""
    data = _read_record(record_path)
    job = data.get("job")
    if isinstance(job, str):
        return job
    pending = data.get("pending")
    if not isinstance(pending, str):
        return None
    async for candidate in client.batches.list():
        if candidate.display_name == _display_name(pending) and candidate.name:
            _record(record_path, {**data, "job": candidate.name})
            return candidate.name
    return None


def _display_name(run_id: str) -> str:
    return f"genai-async run {run_id}"


async def _submit(
    source: str, path: str, record_path: str, client: Client, model: str, resume: Any, tally: Tally, writer: Writer
) -> str | None:
    """Write the missing keys' requests as Batch JSONL, upload it, create the job, record its name."""
    batch_input = path + ".batch-input.jsonl"
    count = await asyncio.to_thread(_write_input, source, batch_input, resume, tally, writer)
    if not count:
        _remove(batch_input)
        return None
    uploaded = await client.files.upload(file=batch_input, config={"mime_type": "jsonl"})
    run_id = uuid.uuid4().hex[:16]
    record = {"pending": run_id, "input_file": uploaded.name, "requests": count, "model": model}
    _record(record_path, record)  # first: a kill right after create() still finds the job by its name
    job = await client.batches.create(model=model, src=uploaded.name, config={"display_name": _display_name(run_id)})
    assert job.name is not None
    _record(record_path, {**record, "job": job.name})
    return job.name


def _record(record_path: str, data: dict[str, Any]) -> None:
    tmp = record_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, record_path)


def _write_input(source: str, batch_input: str, resume: Any, tally: Tally, writer: Writer) -> int:
    """The Batch JSONL of the keys still missing (run in a worker thread); bad lines are written now."""
    count = 0
    with open(batch_input, "wb") as f:
        for item in from_path(source):
            if key_text(item.key) in resume:
                tally.skipped += 1
                continue
            if item.error is not None:
                result = BulkResult(item.key, error=item.error, attempts=0)
                tally.add(result)
                writer.write(encode_result(result))
                continue
            try:
                request = generate_request(item.contents, item.config)
            except GenAIError as exc:
                result = BulkResult(item.key, error=exc, attempts=0)
                tally.add(result)
                writer.write(encode_result(result))
                continue
            f.write(_ENCODE.encode({"key": batch_key(item.key), "request": request}) + b"\n")
            count += 1
    return count


async def _collect(client: Client, job: BatchJob, resume: Any, tally: Tally, writer: Writer) -> None:
    async for item in client.batches.results(job):
        key = original_key(item.key)
        if key_text(key) in resume:
            tally.skipped += 1
            continue
        if item.error is not None:
            error = item.error
            result = BulkResult(key, error=BatchItemError(error.code, error.status, error.message or ""), attempts=0)
        else:
            result = BulkResult(key, response=item.response, attempts=0)
        tally.add(result)
        writer.write(encode_result(result))


def _reporter(enabled: bool) -> Any:
    def report(job: BatchJob) -> None:
        if not enabled:
            return
        stats = job.batch_stats
        done = stats.finished if stats else 0
        total = stats.request_count if stats and stats.request_count else 0
        sys.stderr.write(f"\rbatch {job.name} {job.state}: {done}/{total} done\x1b[K")
        if job.done:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass
