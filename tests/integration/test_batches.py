"""client.batches over a real socket: against the emulator (state schedule, inline and file output,
per-request errors, cancel/delete/list, wait/progress/timeout/cancellation) and a scripted server
(the documented wire body, the fixtures' Operation shape)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import genai_async
from genai_async import errors, types
from genai_async._resources.batches import STEADY_POLLS, poll_delays
from genai_async.emulator import Emulator, running
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"
EMBED = "gemini-embedding-001"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with running(batch_schedule=(0.02, 0.05)) as emulator:
        yield emulator


@pytest.fixture
async def bc(emu: Emulator) -> AsyncIterator[genai_async.Client]:
    async with genai_async.Client(api_key="k", base_url=emu.base_url) as c:
        yield c


def bad_request() -> dict[str, Any]:
    """A request the service refuses: a content with no parts."""
    return {"contents": [{"role": "user", "parts": []}]}


async def test_inline_batch_runs_to_success_with_progress(bc: genai_async.Client) -> None:
    job = await bc.batches.create(
        model=MODEL,
        src=[
            types.InlinedRequest(contents="Say hi", metadata={"key": "a"}),
            {"contents": "Say bye", "config": {"max_output_tokens": 900}, "metadata": {"key": "b"}},
            {"request": bad_request(), "metadata": {"key": "bad"}},
        ],
        config={"display_name": "nightly"},
    )
    assert job.name is not None and job.name.startswith("batches/")
    assert job.state is types.JobState.JOB_STATE_PENDING and job.state.name == "JOB_STATE_PENDING"
    assert job.display_name == "nightly" and not job.done
    assert job.batch_stats is not None and job.batch_stats.request_count == 3
    seen: list[types.BatchJob] = []
    done = await bc.batches.wait(job.name, poll=0.01, on_progress=seen.append)
    assert done.state is types.JobState.JOB_STATE_SUCCEEDED and done.done
    assert seen[-1] is done
    assert done.batch_stats is not None
    assert (done.batch_stats.successful_request_count, done.batch_stats.failed_request_count) == (2, 1)
    results = [r async for r in bc.batches.results(done)]
    assert [r.key for r in results] == ["a", "b", "bad"]
    ok = [r for r in results if r.response is not None]
    assert len(ok) == 2 and all(r.response is not None and r.response.text for r in ok)
    failed = results[2]
    assert failed.response is None and failed.error is not None and failed.error.code == 3


async def test_async_on_progress_sees_counts_as_ints(bc: genai_async.Client) -> None:
    job = await bc.batches.create(model=MODEL, src=[{"contents": f"q{i}"} for i in range(4)])
    counts: list[tuple[str, int]] = []

    async def report(j: types.BatchJob) -> None:
        assert j.state is not None and j.batch_stats is not None
        assert isinstance(j.batch_stats.request_count, int)
        counts.append((j.state.name, j.batch_stats.finished))

    await bc.batches.wait(job, poll=0.005, on_progress=report)
    assert counts[-1] == ("JOB_STATE_SUCCEEDED", 4)
    assert all(n <= 4 for _, n in counts)


async def test_file_batch_results_stream_from_the_responses_file(bc: genai_async.Client, tmp_path: Path) -> None:
    lines = [
        {"key": f"k{i}", "request": {"contents": [{"role": "user", "parts": [{"text": f"n{i}"}]}]}} for i in range(25)
    ]
    lines.insert(3, {"key": "broken", "request": bad_request()})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    job = await bc.batches.create(model=MODEL, src=str(src))  # a local path: uploaded first
    uploaded = [f async for f in bc.files.list()]
    assert len(uploaded) == 1 and uploaded[0].mime_type == "jsonl"
    done = await bc.batches.wait(job.name or "", poll=0.01)
    assert done.dest is not None and done.dest.file_name is not None
    results = [r async for r in bc.batches.results(done)]
    assert [r.key for r in results] == [x["key"] for x in lines]
    assert sum(r.error is not None for r in results) == 1 and results[3].error is not None
    raw = await bc.files.download(file=done.dest.file_name)
    assert raw.count(b"\n") == len(lines)


async def test_file_name_source_and_batch_job_source(bc: genai_async.Client) -> None:
    data = b'{"key": "only", "request": {"contents": [{"parts": [{"text": "hi"}]}]}}\n'
    f = await bc.files.upload(file=data, config={"mime_type": "jsonl"})
    for src in (f.name, types.BatchJobSource(file_name=f.name), {"file_name": f.name}):
        job = await bc.batches.wait(await bc.batches.create(model=MODEL, src=src), poll=0.01)
        assert [r.key async for r in bc.batches.results(job)] == ["only"]


async def test_wire_shaped_requests_are_accepted(bc: genai_async.Client, emu: Emulator) -> None:
    wire = {
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "generationConfig": {"maxOutputTokens": 9},
        "metadata": {"key": "w"},
    }
    req = types.GenerateContentRequest(contents=[types.Content(role="user", parts=[types.Part(text="y")])])
    job = await bc.batches.create(model=MODEL, src=[wire, req])
    body = emu.requests[-1].json
    items = body["batch"]["inputConfig"]["requests"]["requests"]
    assert items[0] == {
        "request": {"contents": wire["contents"], "generationConfig": {"maxOutputTokens": 9}},
        "metadata": {"key": "w"},
    }
    assert items[1] == {"request": {"contents": [{"role": "user", "parts": [{"text": "y"}]}]}}
    job = await bc.batches.wait(job, poll=0.01)
    assert [r.key async for r in bc.batches.results(job)] == ["w", None]


async def test_embeddings_batch(bc: genai_async.Client) -> None:
    job = await bc.batches.create_embeddings(
        model=EMBED, src={"inlined_requests": {"contents": ["one", "two"], "config": {"output_dimensionality": 8}}}
    )
    job = await bc.batches.wait(job, poll=0.01)
    results = [r async for r in bc.batches.embedding_results(job)]
    assert len(results) == 2
    with pytest.raises(errors.ConfigurationError, match="embedding_results"):
        [r async for r in bc.batches.results(job)]
    for r in results:
        assert isinstance(r, types.InlinedEmbedContentResponse)
        assert r.response is not None and r.response.embedding is not None
        assert len(r.response.embedding.values or []) == 8


async def test_cancel_list_delete(bc: genai_async.Client, emu: Emulator) -> None:
    emu.queue_batch_outcome("RUNNING")
    stuck = await bc.batches.create(model=MODEL, src=[{"contents": "a"}])
    other = await bc.batches.create(model=MODEL, src=[{"contents": "b"}])
    await bc.batches.cancel(name=stuck.name or "")
    cancelled = await bc.batches.get(name=stuck.name or "")
    assert cancelled.state is types.JobState.JOB_STATE_CANCELLED and cancelled.done
    assert cancelled.error is not None and cancelled.error.code == 1
    with pytest.raises(errors.ConfigurationError, match="no results"):
        [r async for r in bc.batches.results(cancelled)]
    pager = bc.batches.list(config={"page_size": 1})
    names = [j.name async for j in pager]
    assert names == [other.name, stuck.name]
    await bc.batches.delete(name=other)
    with pytest.raises(errors.ClientError, match="not found"):
        await bc.batches.get(name=other.name or "")
    with pytest.raises(errors.ClientError):  # ended jobs cannot be cancelled
        await bc.batches.cancel(name=cancelled)


@pytest.mark.parametrize(("outcome", "state"), [("FAILED", "JOB_STATE_FAILED"), ("EXPIRED", "JOB_STATE_EXPIRED")])
async def test_scripted_failure_and_expiry(bc: genai_async.Client, emu: Emulator, outcome: str, state: str) -> None:
    emu.queue_batch_outcome(outcome)
    job = await bc.batches.wait(await bc.batches.create(model=MODEL, src=[{"contents": "a"}]), poll=0.01)
    assert job.state is not None and job.state.name == state and job.done
    assert job.error is not None and job.error.message and job.dest is None


async def test_wait_times_out(bc: genai_async.Client, emu: Emulator) -> None:
    emu.queue_batch_outcome("PENDING")
    job = await bc.batches.create(model=MODEL, src=[{"contents": "a"}])
    with pytest.raises(errors.TimeoutError, match="has not ended") as info:
        await bc.batches.wait(job, poll=0.01, timeout=0.05)
    assert isinstance(info.value, TimeoutError)


async def test_wait_is_cancellable(bc: genai_async.Client, emu: Emulator) -> None:
    emu.queue_batch_outcome("RUNNING")
    job = await bc.batches.create(model=MODEL, src=[{"contents": "a"}])
    polled = asyncio.Event()
    task = asyncio.create_task(bc.batches.wait(job, poll=30, on_progress=lambda j: polled.set()))
    await polled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert bc.open_connections <= 1  # nothing left checked out: the idle pooled connection at most


def test_poll_delays_back_off_after_steady_polls() -> None:
    gen = poll_delays(2.0, 10.0)
    delays = [next(gen) for _ in range(STEADY_POLLS + 6)]
    assert delays[:STEADY_POLLS] == [2.0] * STEADY_POLLS
    assert delays[STEADY_POLLS] == 3.0 and delays[-1] == 10.0
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))


@pytest.mark.parametrize(
    ("src", "match"),
    [
        ([], "non-empty list"),
        ("nowhere.jsonl", "neither a 'files/<id>' name nor a local JSONL file"),
        ([{"contents": "x", "confg": {}}], "unknown key 'confg'"),
        ([{"request": {"contents": []}, "extra": 1}], "unknown keys"),
        ([42], "must be a types.InlinedRequest"),
        ({"file_name": "files/a", "inlined_requests": [{"contents": "x"}]}, "exactly one"),
        ([{"contents": "x", "metadata": "k"}], "metadata must be a mapping"),
    ],
)
async def test_bad_src_is_refused_before_any_request(
    bc: genai_async.Client, emu: Emulator, src: Any, match: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        await bc.batches.create(model=MODEL, src=src)
    assert emu.requests == []


@pytest.mark.parametrize("name", ["", "batches/", "files/abc", "batches/a/b", 7])
async def test_bad_names_are_refused(bc: genai_async.Client, name: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="not a batch job name"):
        await bc.batches.get(name=name)


async def test_wait_rejects_bad_poll(bc: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match="poll"):
        await bc.batches.wait("batches/abc", poll=-1)


async def test_wrong_model_kind_is_a_400(bc: genai_async.Client) -> None:
    with pytest.raises(errors.ClientError, match="does not support"):
        await bc.batches.create(model=EMBED, src=[{"contents": "x"}])


# -------------------------------------------------------------------- the documented wire shapes


async def test_create_sends_the_documented_body(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("batch_operation_pending.json"))
    job = await client.batches.create(
        model=MODEL,
        src=[{"contents": "What is photosynthesis?", "metadata": {"key": "request-1"}}],
        config=types.CreateBatchJobConfig(display_name="nightly-eval-2026-08-21"),
    )
    req = server.requests[0]
    assert (req["method"], req["path"]) == ("POST", "/v1beta/models/gemini-3.5-flash:batchGenerateContent")
    assert req["json"] == {
        "batch": {
            "displayName": "nightly-eval-2026-08-21",
            "inputConfig": {
                "requests": {
                    "requests": [
                        {
                            "request": {"contents": [{"role": "user", "parts": [{"text": "What is photosynthesis?"}]}]},
                            "metadata": {"key": "request-1"},
                        }
                    ]
                }
            },
        }
    }
    assert job.name == "batches/xk2p9w7t3q8v1m4n6b5c" and job.model == "models/gemini-3.5-flash"
    assert job.state is types.JobState.JOB_STATE_PENDING
    assert job.batch_stats == types.BatchStats(request_count=2, pending_request_count=2)


async def test_get_decodes_the_inline_fixture(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("batch_operation_succeeded_inline.json"))
    job = await client.batches.get(name="xk2p9w7t3q8v1m4n6b5c")
    assert server.requests[0]["path"] == "/v1beta/batches/xk2p9w7t3q8v1m4n6b5c"
    assert job.state is types.JobState.JOB_STATE_SUCCEEDED and job.end_time == "2026-08-21T01:07:45.330918Z"
    results = [r async for r in client.batches.results(job)]
    assert [r.key for r in results] == ["request-1", "request-2"]
    first = results[0]
    assert first.response is not None
    assert first.response.text == "Photosynthesis turns light, water and CO2 into sugar and oxygen."
    assert results[1].error == types.JobError(code=3, message="Request contains an invalid argument.")
    assert len(server.requests) == 1  # results of a job that has its dest come from the job itself


async def test_torn_responses_file_line_is_a_stream_error(server: Scripted, client: genai_async.Client) -> None:
    from aiohttp import web

    op = fixture_json("batch_operation_pending.json")
    op["metadata"]["state"] = "BATCH_STATE_SUCCEEDED"
    op["metadata"]["output"] = {"responsesFile": "files/out1"}

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.endswith(":download"):
            return web.Response(body=b'{"key": "a", "response": {"candidates": []}}\n{"key": "b", "resp')
        return web.json_response(op)

    server.handler = handler
    got = []
    with pytest.raises(errors.StreamError, match="responses file"):
        async for r in client.batches.results("batches/x1"):
            got.append(r.key)
    assert got == ["a"]
    assert server.requests[-1]["query"] == {"alt": "media"}


async def test_embeddings_file_batch_results_are_embeddings(bc: genai_async.Client) -> None:
    lines = b"".join(
        json.dumps(
            {
                "key": f"e{i}",
                "request": {
                    "model": f"models/{EMBED}",
                    "content": {"parts": [{"text": f"t{i}"}]},
                    "outputDimensionality": 4,
                },
            }
        ).encode()
        + b"\n"
        for i in range(3)
    )
    f = await bc.files.upload(file=lines, config={"mime_type": "jsonl"})
    job = await bc.batches.wait(await bc.batches.create_embeddings(model=EMBED, src={"file_name": f.name}), poll=0.01)
    with pytest.raises(errors.ConfigurationError, match="embeddings job"):
        [r async for r in bc.batches.results(job)]
    results = [r async for r in bc.batches.embedding_results(job)]
    assert [r.key for r in results] == ["e0", "e1", "e2"]
    for r in results:
        assert isinstance(r, types.InlinedEmbedContentResponse) and r.response is not None
        assert r.response.embedding is not None and len(r.response.embedding.values or []) == 4


async def test_wait_rides_out_a_transient_503_and_scripted_endpoints(bc: genai_async.Client, emu: Emulator) -> None:
    job = await bc.batches.create(model=MODEL, src=[{"contents": "a"}])
    emu.queue_error(503, endpoint="batches.get", retry_delay=0.01)
    job = await bc.batches.wait(job, poll=0.01)
    assert job.state is types.JobState.JOB_STATE_SUCCEEDED
    assert sum(r.path.endswith(job.name or "") for r in emu.requests) >= 2
    emu.queue_error(400, message="nope", endpoint="batchGenerateContent")
    with pytest.raises(errors.ClientError, match="nope"):
        await bc.batches.create(model=MODEL, src=[{"contents": "a"}])
    with pytest.raises(ValueError, match="unknown batch outcome"):
        emu.queue_batch_outcome("DONE")


async def test_leaving_file_results_early_closes_the_download(bc: genai_async.Client) -> None:
    import contextlib

    data = b"".join(
        json.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": f"q{i}"}]}]}}).encode() + b"\n"
        for i in range(40)
    )
    f = await bc.files.upload(file=data, config={"mime_type": "jsonl"})
    job = await bc.batches.wait(await bc.batches.create(model=MODEL, src=f.name), poll=0.01)
    async with contextlib.aclosing(bc.batches.results(job)) as results:
        async for first in results:
            assert first.key == "k0"
            break
    assert not bc._transport._live  # the download was closed, not left checked out
    assert [r.key async for r in bc.batches.results(job)][-1] == "k39"
    assert not bc._transport._live
