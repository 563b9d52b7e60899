"""The official google-genai SDK's ``client.aio.batches`` against the emulator (public SDK calls only),
plus the raw Operation JSON the emulator sends (shapes of tests/fixtures/batch_*.json)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from genai_async.emulator import Emulator, running

from .emulator_helpers import Api

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

MODEL = "gemini-3.5-flash"
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession from ClientSession is discouraged:DeprecationWarning"
)


@pytest.fixture
async def sdk_emulator() -> AsyncIterator[Emulator]:
    async with running(batch_schedule=(0.01, 0.02)) as emulator:
        yield emulator


async def poll_until_done(aio: Any, name: str) -> Any:
    while True:  # the official docs' loop: poll on job.state.name
        job = await aio.batches.get(name=name)
        if job.state.name in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"):
            return job
        await asyncio.sleep(0.01)


async def test_sdk_inline_batch(aio: Any) -> None:
    job = await aio.batches.create(
        model=MODEL,
        src=[
            {
                "contents": [{"parts": [{"text": "Tell me a one-sentence joke."}], "role": "user"}],
                "metadata": {"key": "joke"},
            },
            types.InlinedRequest(
                contents="Why is the sky blue?",
                metadata={"key": "sky"},
                config=types.GenerateContentConfig(max_output_tokens=800),
            ),
        ],
        config={"display_name": "sdk-inline"},
    )
    assert job.name.startswith("batches/") and job.state.name == "JOB_STATE_PENDING"
    job = await poll_until_done(aio, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED" and job.display_name == "sdk-inline"
    responses = job.dest.inlined_responses
    assert [r.metadata["key"] for r in responses] == ["joke", "sky"]
    assert all(r.response.text for r in responses)


async def test_sdk_file_batch_and_download(aio: Any, tmp_path: Any) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        "".join(
            json.dumps({"key": f"request-{i}", "request": {"contents": [{"parts": [{"text": f"Q{i}"}]}]}}) + "\n"
            for i in range(3)
        )
    )
    uploaded = await aio.files.upload(file=str(path), config=types.UploadFileConfig(mime_type="jsonl"))
    job = await aio.batches.create(model=MODEL, src=uploaded.name)
    job = await poll_until_done(aio, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED" and job.dest.file_name
    content = await aio.files.download(file=job.dest.file_name)
    lines = [json.loads(line) for line in content.decode().splitlines()]
    assert [x["key"] for x in lines] == ["request-0", "request-1", "request-2"]
    assert all(x["response"]["candidates"][0]["content"]["parts"] for x in lines)


async def test_sdk_list_cancel_delete(aio: Any, sdk_emulator: Emulator) -> None:
    sdk_emulator.queue_batch_outcome("RUNNING")
    job = await aio.batches.create(model=MODEL, src=[{"contents": [{"parts": [{"text": "x"}], "role": "user"}]}])
    await aio.batches.cancel(name=job.name)
    got = await aio.batches.get(name=job.name)
    assert got.state.name == "JOB_STATE_CANCELLED"
    names = [j.name async for j in await aio.batches.list(config={"page_size": 5})]
    assert names == [job.name]
    await aio.batches.delete(name=job.name)
    assert [j async for j in await aio.batches.list()] == []


@pytest.mark.filterwarnings("ignore:batches.create_embeddings\\(\\) is experimental")
async def test_sdk_embeddings_batch(aio: Any) -> None:
    job = await aio.batches.create_embeddings(
        model="gemini-embedding-001",
        src=types.EmbeddingsBatchJobSource(inlined_requests=types.EmbedContentBatch(contents=["a", "b"])),
    )
    job = await poll_until_done(aio, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert len(job.dest.inlined_embed_content_responses) == 2


async def test_operation_shapes_match_the_fixtures(api: Api, emu: Emulator) -> None:
    emu.batch_schedule = (60.0, 0.0)
    body = {
        "batch": {
            "displayName": "d",
            "inputConfig": {
                "requests": {
                    "requests": [
                        {"request": {"contents": [{"parts": [{"text": "hi"}]}]}, "metadata": {"key": "request-1"}},
                        {"request": {"contents": [{"parts": []}]}, "metadata": {"key": "request-2"}},
                    ]
                }
            },
        }
    }
    created = await api.request("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", json_body=body)
    assert created.status == 200
    op = created.json()
    meta = op["metadata"]
    assert meta["@type"] == "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
    assert meta["state"] == "BATCH_STATE_PENDING" and meta["name"] == op["name"]
    assert meta["batchStats"] == {"requestCount": "2", "pendingRequestCount": "2"}
    assert "done" not in op and "output" not in meta
    emu.batch_schedule = (0.0, 0.0)
    again = await api.request("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", json_body=body)
    done = (await api.request("GET", f"/v1beta/{again.json()['name']}")).json()
    assert done["done"] is True and done["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    assert done["metadata"]["batchStats"] == {
        "requestCount": "2",
        "successfulRequestCount": "1",
        "failedRequestCount": "1",
    }
    assert done["response"]["@type"].endswith("v1main.GenerateContentBatchOutput")
    items = done["response"]["inlinedResponses"]["inlinedResponses"]
    assert items == done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert items[1] == {
        "error": {"code": 3, "message": items[1]["error"]["message"], "status": "INVALID_ARGUMENT"},
        "metadata": {"key": "request-2"},
    }
    assert items[0]["metadata"] == {"key": "request-1"} and items[0]["response"]["candidates"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"batch": {}},
        {"batch": {"inputConfig": {}}},
        {"batch": {"inputConfig": {"requests": {"requests": []}}}},
        {"batch": {"inputConfig": {"fileName": "files/x", "requests": {"requests": [{}]}}}},
    ],
)
async def test_bad_create_bodies_are_400(api: Api, body: Any) -> None:
    result = await api.request("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", json_body=body)
    assert result.status == 400 and result.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_unknown_batch_is_404_and_uploaded_file_still_not_downloadable(api: Api) -> None:
    assert (await api.request("GET", "/v1beta/batches/nope")).status == 404
    assert (await api.request("POST", "/v1beta/batches/nope:cancel")).status == 404
    assert (await api.request("DELETE", "/v1beta/batches/nope")).status == 404
