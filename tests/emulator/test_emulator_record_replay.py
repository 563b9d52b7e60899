"""Record against an upstream (a second emulator), then replay with the upstream gone."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

import genai_async
from genai_async import types
from genai_async.emulator import Emulator, running
from genai_async.emulator._record import Recording
from tests.waiting import wait_until

from .emulator_helpers import MODEL, Api, user

KEY = "secret-key-never-on-disk"
RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"
CONFIG = types.GenerateContentConfig(max_output_tokens=200)


async def _session(base_url: str) -> tuple[list[dict[str, Any]], list[float], str, int]:
    """What a client sees: the stream's chunks and their arrival times, a unary answer, a count."""
    async with genai_async.Client(api_key=KEY, base_url=base_url) as client:
        chunks, times = [], []
        start = time.monotonic()
        async with client.models.generate_content_stream(
            model=MODEL, contents="Tell me about Zurich", config=CONFIG
        ) as stream:
            async for chunk in stream:
                times.append(time.monotonic() - start)
                chunks.append(msgspec.to_builtins(chunk))
        unary = await client.models.generate_content(model=MODEL, contents="Hi there", config=CONFIG)
        counted = await client.models.count_tokens(model=MODEL, contents="count these four")
    return chunks, times, unary.text or "", counted.total_tokens or 0


def _recorded(directory: Path) -> list[str]:
    return [f.read_text() for f in sorted(directory.glob("*.json"))]


async def test_record_then_replay_without_the_upstream(tmp_path: Path) -> None:
    async with running(tokens_per_second=400, chunk_tokens=4) as upstream:
        async with running(record=tmp_path, upstream=upstream.base_url) as recorder:
            recorded = await _session(recorder.base_url)
        assert upstream.requests[0].headers["x-goog-api-key"] == KEY  # the caller's key went upstream
    texts = _recorded(tmp_path)
    assert len(texts) == 3
    assert all(KEY not in text for text in texts)
    stream_file = json.loads(texts[0])
    assert stream_file["request"]["query"] == {"alt": "sse"}
    offsets = [c["at"] for c in stream_file["response"]["chunks"]]
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0]  # arrival times kept

    async with running(replay=tmp_path) as replayer:
        start = time.monotonic()
        replayed = await _session(replayer.base_url)
        took = time.monotonic() - start
    assert replayed[0] == recorded[0]  # the same chunks
    assert replayed[2:] == recorded[2:]
    # Never faster than recorded (sleeps only end late); an upper bound would be a wall-clock assertion.
    assert took >= offsets[-1] - offsets[0]


def test_replay_actions_follow_the_recorded_timing() -> None:
    recording = Recording(
        "x.json", "k", 200, {"content-type": "text/event-stream"}, 0.05, [(0.1, b"a"), (0.25, b"b"), (0.25, b"c")]
    )
    reply, actions = recording.reply("http://127.0.0.1:1")
    assert reply.status == 200 and reply.content_type == "text/event-stream"
    assert actions == [
        ("sleep", 0.05),
        ("headers", None),
        ("sleep", pytest.approx(0.05)),
        ("write", b"a"),
        ("sleep", pytest.approx(0.15)),
        ("write", b"b"),
        ("write", b"c"),
    ]


async def test_unmatched_request_names_the_nearest_recording(tmp_path: Path) -> None:
    async with running() as upstream, running(record=tmp_path, upstream=upstream.base_url) as recorder:
        async with aiohttp.ClientSession() as session:
            await Api(session, recorder).generate({"contents": [user("What is the weather in Zurich?")]})
    async with running(replay=tmp_path) as replayer, aiohttp.ClientSession() as session:
        result = await Api(session, replayer).post(
            f"/v1beta/models/{MODEL}:generateContent", {"contents": [user("What is the weather in Geneva?")]}
        )
    error = result.json()["error"]
    assert result.status == 404 and error["status"] == "NOT_FOUND"
    assert "0001-POST-v1beta_models_gemini-3.5-flash_generateContent.json" in error["message"]
    assert "differs in the body" in error["message"] and "Zurich" in error["message"]


async def test_uploads_are_recorded_through_the_proxy(tmp_path: Path) -> None:
    async with running() as upstream, running(record=tmp_path, upstream=upstream.base_url) as recorder:
        async with genai_async.Client(api_key=KEY, base_url=recorder.base_url) as client:
            path = tmp_path / "notes.txt"
            path.write_bytes(b"some notes")
            uploaded = await client.files.upload(file=path)
        assert any(r.path.startswith("/upload/") and "upload_id" in r.query for r in recorder.requests)
    async with running(replay=tmp_path) as replayer:
        async with genai_async.Client(api_key=KEY, base_url=replayer.base_url) as client:
            again = await client.files.upload(file=path)
    assert again.name == uploaded.name and again.uri == uploaded.uri


def test_record_needs_upstream_and_replay_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="go together"):
        Emulator(record=tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        Emulator(replay=tmp_path / "missing")


WEATHER = {"contents": [user("What is the weather in Zurich?")]}


@pytest.mark.gemini_emulator(replay="../fixtures/recordings")  # relative to this file
async def test_marker_replays_a_recording(gemini_emulator: Emulator) -> None:
    # tests/fixtures/recordings was written by `genai-async emulator --record ... --upstream <an emulator>`
    # with this body; replayed byte for byte.
    async with aiohttp.ClientSession() as session:
        result = await Api(session, gemini_emulator).post(
            f"/v1beta/models/{MODEL}:generateContent", WEATHER, key="any-key"
        )
    recorded = json.loads((RECORDINGS / "0001-POST-v1beta_models_gemini-3.5-flash_generateContent.json").read_text())
    assert result.status == 200
    assert result.body == b"".join(base64.b64decode(c["data"]) for c in recorded["response"]["chunks"])
    assert "Zurich" in result.json()["candidates"][0]["content"]["parts"][0]["text"]


def test_cli_refuses_half_a_recording_setup(tmp_path: Path) -> None:
    from genai_async._cli import main

    assert main(["emulator", "--record", str(tmp_path)]) == 2
    assert main(["emulator", "--replay", str(tmp_path / "missing")]) == 2


async def test_client_leaving_mid_stream_frees_the_upstream_connection(tmp_path: Path) -> None:
    async with running(tokens_per_second=40, chunk_tokens=2) as upstream:
        async with running(record=tmp_path, upstream=upstream.base_url) as recorder:
            async with aiohttp.ClientSession() as session:
                url = f"{recorder.base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
                no_thoughts = {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}  # the first chunk comes at once
                body = {"contents": [user("Tell me a long story")], "generationConfig": no_thoughts}
                async with session.post(url, json=body, headers={"x-goog-api-key": KEY}) as resp:
                    assert (await resp.content.readline()).startswith(b"data: ")
                    resp.close()  # leave mid-stream
            connector = recorder._recorder._session.connector  # type: ignore[union-attr]
            await wait_until(lambda: not connector._acquired)  # type: ignore[union-attr]  # the proxy noticed
    assert _recorded(tmp_path) == []  # an exchange the client abandoned is not recorded
