"""``genai-async run --batch-api`` against the emulator: the same output format, resume from the
recorded job (while waiting, and while writing results), failed jobs, and key round trips."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import genai_async
from genai_async import bulk
from genai_async._bulk._batchmode import BatchJobError, batch_key, original_key, run_batch
from genai_async._cli import main
from genai_async.emulator import Emulator, running
from tests.waiting import wait_until

MODEL = "gemini-3.5-flash"


@pytest.fixture
async def emu() -> Any:
    async with running(batch_schedule=(0.0, 0.02)) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> Any:
    async with bulk.runner_client(None, concurrency=4, api_key="k", base_url=emu.base_url) as c:
        yield c


def write_input(path: Path, n: int) -> list[Any]:
    keys: list[Any] = []
    with path.open("w") as f:
        for i in range(n):
            if i % 2:
                f.write(json.dumps({"key": f"k{i}", "contents": f"q{i}", "config": {"max_output_tokens": 900}}) + "\n")
                keys.append(f"k{i}")
            else:
                f.write(json.dumps({"prompt": f"q{i}"}) + "\n")
                keys.append(i + 1)
    return keys


def keys_in(path: Path) -> Counter[str]:
    return Counter(json.dumps(json.loads(line)["key"]) for line in path.read_text().splitlines())


@pytest.mark.parametrize("key", ["plain", 7, "json:tricky", None, ["a", 1]])
def test_keys_round_trip_through_batch_strings(key: Any) -> None:
    sent = batch_key(key)
    assert isinstance(sent, str) and original_key(sent) == key


async def test_batch_api_writes_the_online_format(emu: Emulator, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 12)
    with src.open("a") as f:
        f.write('{"key": "bad", "prompt": 5}\n')
    code = await asyncio.to_thread(
        main,
        [
            "run",
            str(src),
            "--output",
            str(out),
            "--batch-api",
            "--poll",
            "0.01",
            "--base-url",
            emu.base_url,
            "--no-progress",
        ],
    )
    assert code == 1  # the bad line
    assert keys_in(out) == Counter(json.dumps(k) for k in [*keys, "bad"])
    records = [json.loads(line) for line in out.read_text().splitlines()]
    ok = [r for r in records if "response" in r]
    assert len(ok) == 12 and all(r["usage"] == r["response"]["usageMetadata"] for r in ok)
    assert not (tmp_path / "out.jsonl.batch.json").exists()
    assert not (tmp_path / "out.jsonl.batch-input.jsonl").exists()
    uploads = [r for r in emu.requests if r.path.startswith("/upload/")]
    assert uploads  # the input went up as one JSONL file
    create = next(r for r in emu.requests if r.path.endswith(":batchGenerateContent"))
    assert "fileName" in create.json["batch"]["inputConfig"]


async def test_resume_waits_for_the_recorded_job(emu: Emulator, client: genai_async.Client, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 6)
    emu.queue_batch_outcome("RUNNING")
    record = tmp_path / "out.jsonl.batch.json"
    task = asyncio.create_task(run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False))
    polls = sum(1 for r in emu.requests if r.path.startswith("/v1beta/batches/"))
    await wait_until(
        lambda: record.exists() and sum(1 for r in emu.requests if r.path.startswith("/v1beta/batches/")) > polls
    )
    task.cancel()  # Ctrl-C while waiting
    with pytest.raises(asyncio.CancelledError):
        await task
    job = json.loads(record.read_text())["job"]
    emu._batches._jobs[job].outcome = "SUCCEEDED"  # the service finishes the job meanwhile
    creates = sum(1 for r in emu.requests if r.path.endswith(":batchGenerateContent"))
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert summary.batch_job == job and summary.done == 6
    assert sum(1 for r in emu.requests if r.path.endswith(":batchGenerateContent")) == creates  # no new job
    assert keys_in(out) == Counter(json.dumps(k) for k in keys)


async def test_resume_while_writing_results_writes_only_missing_keys(
    emu: Emulator, client: genai_async.Client, tmp_path: Path
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 8)
    await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    lines = out.read_bytes().split(b"\n")
    job = next(r for r in emu.requests if r.path.endswith(":batchGenerateContent"))
    name = (await client.batches.list()).page[0].name
    (tmp_path / "out.jsonl.batch.json").write_text(json.dumps({"job": name}))
    out.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:10])  # killed after 3 results, inside the 4th
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert job is not None and summary.torn_line and (summary.skipped, summary.done) == (3, 5)
    assert keys_in(out) == Counter(json.dumps(k) for k in keys)


async def test_failed_job_raises_and_the_next_run_submits_again(
    emu: Emulator, client: genai_async.Client, tmp_path: Path
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 3)
    emu.queue_batch_outcome("EXPIRED")
    with pytest.raises(BatchJobError, match="JOB_STATE_EXPIRED"):
        await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert not (tmp_path / "out.jsonl.batch.json").exists()
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert summary.done == 3 and keys_in(out) == Counter(json.dumps(k) for k in keys)


async def test_per_request_errors_keep_their_grpc_status(
    emu: Emulator, client: genai_async.Client, tmp_path: Path
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"key": "empty", "contents": "hi", "config": {"temperature": 7}}\n')
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["key"] == "empty"
    assert record["error"]["type"] == "BatchItemError" and record["error"]["code"] == 3
    assert record["error"]["status"] == "INVALID_ARGUMENT" and summary.failed == 1


async def test_nothing_left_to_do_creates_no_job(emu: Emulator, client: genai_async.Client, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 2)
    await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    before = len(emu.requests)
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert (summary.skipped, summary.done, summary.batch_job) == (2, 0, None) and len(emu.requests) == before


async def test_a_recorded_job_deleted_on_the_service_is_resubmitted(
    emu: Emulator, client: genai_async.Client, tmp_path: Path
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 3)
    (tmp_path / "out.jsonl.batch.json").write_text(json.dumps({"job": "batches/gone123"}))
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert summary.done == 3 and summary.batch_job != "batches/gone123"
    assert keys_in(out) == Counter(json.dumps(k) for k in keys)


async def test_kill_between_create_and_record_adopts_the_job(
    emu: Emulator, client: genai_async.Client, tmp_path: Path
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src, 2)
    record = tmp_path / "out.jsonl.batch.json"
    record.write_text(json.dumps({"pending": "abc123"}))  # what a run killed right after create() left
    job = await client.batches.create(
        model=MODEL,
        src=[
            {"contents": "q0", "metadata": {"key": batch_key(keys[0])}},
            {"contents": "q1", "metadata": {"key": batch_key(keys[1])}},
        ],
        config={"display_name": "genai-async run abc123"},
    )
    creates = sum(1 for r in emu.requests if r.path.endswith(":batchGenerateContent"))
    summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
    assert summary.batch_job == job.name and summary.done == 2
    assert sum(1 for r in emu.requests if r.path.endswith(":batchGenerateContent")) == creates  # not paid twice
    assert keys_in(out) == Counter(json.dumps(k) for k in keys)


async def test_the_record_names_the_run_before_create_is_sent(emu: Emulator, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 1)
    emu.queue_error(500, endpoint="batchGenerateContent", times=5)  # create fails: the run id stays recorded
    retry = {**bulk.RUNNER_RETRY, "initial_delay": 0.01, "max_delay": 0.05}  # the runner's 5 attempts, quicker
    async with genai_async.Client(api_key="k", base_url=emu.base_url, retry=retry) as client:
        with pytest.raises(genai_async.ServerError):
            await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
        pending = json.loads((tmp_path / "out.jsonl.batch.json").read_text())["pending"]
        create = next(r for r in emu.requests if r.path.endswith(":batchGenerateContent"))
        assert create.json["batch"]["displayName"] == f"genai-async run {pending}"
        summary = await run_batch(str(src), out, client=client, model=MODEL, poll=0.01, progress=False)
        assert summary.done == 1  # no job carried that id: the keys were submitted again
