"""client.live over real sockets against the emulator's BidiGenerateContent endpoint."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async.emulator import Emulator, running

MODEL = "gemini-live-2.5-flash-preview"
TOOLS = [types.Tool(function_declarations=[types.FunctionDeclaration(name="get_time", description="Current UTC time.")])]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with running() as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[genai_async.Client]:
    async with genai_async.Client(api_key="live-key", base_url=emu.base_url, timeout=10) as c:
        yield c


async def turn(session: Any) -> list[types.LiveServerMessage]:
    return [m async for m in session.receive()]


def joined(messages: list[types.LiveServerMessage]) -> str:
    return "".join(m.text or "" for m in messages)


async def test_setup_handshake_sends_key_in_header_only(client: genai_async.Client, emu: Emulator) -> None:
    config = types.LiveConnectConfig(response_modalities=["TEXT"], system_instruction="Be brief.", temperature=0.2)
    async with client.live.connect(model=MODEL, config=config) as session:
        assert session.session_id is None  # the emulator sends setupComplete: {}
    handshake = emu.requests[-1]
    assert handshake.path == "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    assert handshake.headers["x-goog-api-key"] == "live-key"
    assert "key" not in handshake.query
    setup = emu.live.frames[0]["setup"]
    assert setup == {
        "model": f"models/{MODEL}",
        "generationConfig": {"responseModalities": ["TEXT"], "temperature": 0.2},
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
    }


async def test_text_turn_streams_several_messages_then_turn_complete(client: genai_async.Client) -> None:
    async with client.live.connect(model=MODEL, config={"response_modalities": ["TEXT"]}) as session:
        await session.send_client_content(turns="Tell me about Zurich", turn_complete=True)
        messages = await turn(session)
    texts = [m for m in messages if m.text]
    assert len(texts) > 3
    assert "Zurich" in joined(messages)
    assert messages[-1].server_content is not None and messages[-1].server_content.turn_complete
    assert messages[-1].usage_metadata is not None and messages[-1].usage_metadata.response_token_count
    assert any(m.server_content and m.server_content.generation_complete for m in messages)


async def test_history_is_kept_between_turns(client: genai_async.Client) -> None:
    async with client.live.connect(model=MODEL) as session:
        await session.send_client_content(turns="I have 2 dogs", turn_complete=True)
        await turn(session)
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        second = joined(await turn(session))
    assert "8 paws" in second


async def test_audio_turn_is_24khz_pcm_with_transcription(client: genai_async.Client) -> None:
    config = types.LiveConnectConfig(
        response_modalities=["AUDIO"], output_audio_transcription=types.AudioTranscriptionConfig()
    )
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="Say hello", turn_complete=True)
        messages = await turn(session)
    audio = [m for m in messages if m.data]
    assert len(audio) > 1
    blobs = [p.inline_data for m in audio for p in m.server_content.model_turn.parts]  # type: ignore[union-attr]
    assert {b.mime_type for b in blobs if b} == {"audio/pcm;rate=24000"}
    data = b"".join(m.data or b"" for m in audio)
    tokens = messages[-1].usage_metadata.response_token_count  # type: ignore[union-attr]
    assert len(data) == sum(round(n * 0.05 * 24000) * 2 for n in _chunk_sizes(tokens or 0))
    assert len(data) % 2 == 0
    samples = struct.unpack(f"<{len(data) // 2}h", data)
    assert max(samples) > 1000 and min(samples) < -1000  # a tone, not silence
    words = "".join(m.server_content.output_transcription.text for m in audio)  # type: ignore[union-attr]
    assert words.strip()
    assert messages[-1].usage_metadata.response_tokens_details[0].modality == "AUDIO"  # type: ignore[union-attr,index]


def _chunk_sizes(tokens: int, size: int = 8) -> list[int]:
    return [min(size, tokens - i) for i in range(0, tokens, size)]


async def test_realtime_audio_then_stream_end_is_answered_with_input_transcription(client: genai_async.Client) -> None:
    config = {"response_modalities": ["TEXT"], "input_audio_transcription": {}}
    async with client.live.connect(model=MODEL, config=config) as session:
        for _ in range(4):
            await session.send_realtime_input(audio=types.Blob(data=b"\x00\x01" * 8000, mime_type="audio/pcm;rate=16000"))
        await session.send_realtime_input(audio_stream_end=True)
        messages = await turn(session)
    heard = [m.server_content.input_transcription for m in messages if m.server_content and m.server_content.input_transcription]
    assert heard and "2.0 seconds of audio" in (heard[0].text or "")
    assert joined(messages)


async def test_realtime_text_and_activity_markers(client: genai_async.Client, emu: Emulator) -> None:
    async with client.live.connect(model=MODEL) as session:
        await session.send_realtime_input(activity_start=types.ActivityStart())
        await session.send_realtime_input(activity_end={})
        await session.send_realtime_input(video={"data": b"\x89PNG....", "mime_type": "image/png"})
        await session.send_realtime_input(text="What is Python?")
        assert "Python" in joined(await turn(session))
    sent = [f["realtimeInput"] for f in emu.live.frames if "realtimeInput" in f]
    assert sent[:3] == [{"activityStart": {}}, {"activityEnd": {}}, {"video": {"mimeType": "image/png", "data": "iVBORy4uLi4="}}]
    assert sent[3] == {"text": "What is Python?"}


async def test_tool_call_round_trip(client: genai_async.Client, emu: Emulator) -> None:
    config = types.LiveConnectConfig(tools=TOOLS)
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="What time is it?", turn_complete=True)
        messages = []
        async for message in session.receive():
            messages.append(message)
            if message.tool_call is not None:
                calls = message.tool_call.function_calls or []
                assert [c.name for c in calls] == ["get_time"]
                await session.send_tool_response(
                    function_responses=[types.FunctionResponse(id=c.id, name=c.name, response={"output": "09:41Z"}) for c in calls]
                )
    assert messages[0].tool_call is not None
    assert "09:41Z" in joined(messages)
    response = [f for f in emu.live.frames if "toolResponse" in f][0]
    assert response["toolResponse"]["functionResponses"][0]["response"] == {"output": "09:41Z"}


async def test_tool_response_without_id_is_refused_before_sending(client: genai_async.Client) -> None:
    async with client.live.connect(model=MODEL) as session:
        with pytest.raises(errors.ConfigurationError, match="no id"):
            await session.send_tool_response(function_responses={"name": "get_time", "response": {}})


async def test_new_content_mid_answer_interrupts(emu: Emulator) -> None:
    emu.tokens_per_second = 200.0
    async with genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        async with client.live.connect(model=MODEL) as session:
            await session.send_client_content(turns="Tell me about Rome", turn_complete=True)
            messages = session.receive()
            first = await messages.__anext__()
            assert first.text
            await session.send_client_content(turns="Tell me about Oslo instead", turn_complete=True)
            rest = [m async for m in messages]
    flags = [bool(m.server_content and m.server_content.interrupted) for m in rest]
    assert flags.count(True) == 1
    after = rest[flags.index(True) + 1 :]
    assert "Oslo" in joined(after)
    assert rest[-1].server_content.turn_complete  # type: ignore[union-attr]


async def test_resumption_after_go_away_moves_connection_between_turns(
    client: genai_async.Client, emu: Emulator
) -> None:
    emu.live.queue_go_away(after_turns=1, time_left=30)
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="I have 3 dogs", turn_complete=True)
        first = await turn(session)
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        second = await turn(session)
        assert session.resumptions == 1
    assert any(m.go_away is not None and m.go_away.time_left == "30s" for m in second)
    assert "12 paws" in joined(second)  # the new connection resumed the conversation
    assert emu.live.sessions == 2
    setups = [f["setup"] for f in emu.live.frames if "setup" in f]
    assert "handle" not in setups[0]["sessionResumption"] and setups[1]["sessionResumption"]["handle"]
    questions = [f["clientContent"]["turns"][0]["parts"][0]["text"] for f in emu.live.frames if "clientContent" in f]
    # the second question went out on the old connection before goAway was read, then again on
    # the new one; only the new connection's answer is read, so it arrives once
    assert questions == ["I have 3 dogs", "How many paws are in my house?", "How many paws are in my house?"]
    assert sum(1 for m in second if m.server_content and m.server_content.turn_complete) == 1
    assert joined(first)


async def test_resumption_after_drop_between_turns_is_transparent(client: genai_async.Client, emu: Emulator) -> None:
    emu.live.queue_drop(after_turns=1)
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="I have 1 dog", turn_complete=True)
        first = await turn(session)
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        second = await turn(session)
        assert session.resumptions == 1
    assert emu.live.drops == 1 and emu.live.sessions == 2
    assert "4 paws" in joined(second)
    assert joined(first) and not any(m.server_content and m.server_content.interrupted for m in second)
    questions = [f["clientContent"]["turns"][0]["parts"][0]["text"] for f in emu.live.frames if "clientContent" in f]
    # sent on the dead connection (maybe received there, never answered), then once on the new one
    assert questions[0] == "I have 1 dog" and questions[-1] == "How many paws are in my house?"
    assert sum(1 for m in second if m.server_content and m.server_content.turn_complete) == 1


async def test_resumption_after_drop_mid_answer_ends_turn_as_interrupted(client: genai_async.Client, emu: Emulator) -> None:
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="I have 2 cats", turn_complete=True)
        await turn(session)
        await turn_until_handle(session)
        emu.live.queue_drop(after_messages=3)
        session._sock.abort()  # the client loses its connection: the session resumes on next use
        await session.send_client_content(turns="Tell me about Lisbon", turn_complete=True)
        cut = await turn(session)
        assert session.resumptions == 2
        assert cut[-1].server_content == types.LiveServerContent(interrupted=True, turn_complete=True)
        assert len([m for m in cut if m.text]) == 3  # what arrived before the cut, once
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        again = joined(await turn(session))
    assert "8 paws" in again
    questions = [f["clientContent"]["turns"][0]["parts"][0]["text"] for f in emu.live.frames if "clientContent" in f]
    assert questions.count("Tell me about Lisbon") == 1  # a cut answer is not asked for again


async def turn_until_handle(session: Any) -> None:
    """Read the resumption update that follows a turnComplete (it belongs to no turn)."""
    while session._pending or session.resumption_handle is None:
        await session._next()
