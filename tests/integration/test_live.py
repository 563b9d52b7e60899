"""client.live over real sockets against the emulator's BidiGenerateContent endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async.emulator import Emulator, running
from tests.waiting import wait_until

MODEL = "gemini-live-2.5-flash-preview"
TOOLS = [
    types.Tool(function_declarations=[types.FunctionDeclaration(name="get_time", description="Current UTC time.")])
]


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
            await session.send_realtime_input(
                audio=types.Blob(data=b"\x00\x01" * 8000, mime_type="audio/pcm;rate=16000")
            )
        await session.send_realtime_input(audio_stream_end=True)
        messages = await turn(session)
    heard = [
        m.server_content.input_transcription
        for m in messages
        if m.server_content and m.server_content.input_transcription
    ]
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
    assert sent[:3] == [
        {"activityStart": {}},
        {"activityEnd": {}},
        {"video": {"mimeType": "image/png", "data": "iVBORy4uLi4="}},
    ]
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
                    function_responses=[
                        types.FunctionResponse(id=c.id, name=c.name, response={"output": "09:41Z"}) for c in calls
                    ]
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


async def test_resumption_after_drop_mid_answer_ends_turn_as_interrupted(
    client: genai_async.Client, emu: Emulator
) -> None:
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


# ----------------------------------------------------------------------------- errors and bad input


@pytest.mark.parametrize(
    ("code", "reason", "klass", "http", "status"),
    [
        (1007, "Request contains an invalid argument.", errors.ClientError, 400, "INVALID_ARGUMENT"),
        (1008, "models/x is not found for API version v1beta", errors.ClientError, 404, "NOT_FOUND"),
        (1008, "API key not valid. Please pass a valid API key.", errors.ClientError, 400, "INVALID_ARGUMENT"),
        (1008, "Permission denied.", errors.ClientError, 403, "PERMISSION_DENIED"),
        (1011, "You exceeded your current quota.", errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
        (1011, "Internal error occurred.", errors.ServerError, 500, "INTERNAL"),
        (1013, "Try again later.", errors.ServerError, 503, "UNAVAILABLE"),
    ],
)
async def test_close_codes_become_typed_errors(
    client: genai_async.Client, emu: Emulator, code: int, reason: str, klass: type, http: int, status: str
) -> None:
    emu.live.queue_close(code, reason, after_messages=2)
    async with client.live.connect(model=MODEL) as session:
        await session.send_client_content(turns="Hello there", turn_complete=True)
        with pytest.raises(klass) as caught:
            await turn(session)
        assert (caught.value.code, caught.value.status, caught.value.close_code) == (http, status, code)
        assert reason in caught.value.message and f"close code {code}" in str(caught.value)
        with pytest.raises(klass):  # the session is over: sending raises the same error
            await session.send_client_content(turns="again", turn_complete=True)


async def test_setup_refused_is_a_typed_error_from_connect(client: genai_async.Client) -> None:
    with pytest.raises(errors.ClientError, match="is not found") as caught:
        async with client.live.connect(model="gemini-nope-live-x".replace("live", "dead")):
            pass
    assert caught.value.code == 404 and caught.value.close_code == 1008


async def test_bad_key_closes_with_policy_violation(emu: Emulator) -> None:
    emu.api_key = "right"
    async with genai_async.Client(api_key="wrong", base_url=emu.base_url) as client:
        with pytest.raises(errors.ClientError, match="API key not valid"):
            async with client.live.connect(model=MODEL):
                pass


async def test_unsupported_generation_field_is_refused(client: genai_async.Client) -> None:
    with pytest.raises(errors.ClientError, match="stopSequences"):
        async with client.live.connect(model=MODEL, config={"generation_config": {"stop_sequences": ["x"]}}):
            pass


def test_bad_config_is_refused_before_connecting() -> None:
    client = genai_async.Client(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(errors.ConfigurationError, match="did you mean"):
        client.live.connect(model=MODEL, config={"response_modalitis": ["TEXT"]})
    with pytest.raises(errors.ConfigurationError, match="not a model name"):
        client.live.connect(model="bad model")


async def test_send_after_close_raises_clear_error(client: genai_async.Client) -> None:
    async with client.live.connect(model=MODEL) as session:
        pass
    with pytest.raises(errors.ConfigurationError, match="closed; open a new one"):
        await session.send_client_content(turns="late", turn_complete=True)
    with pytest.raises(errors.ConfigurationError, match="closed"):
        await session.send_realtime_input(text="late")
    with pytest.raises(errors.ConfigurationError, match="closed"):
        session.receive()
    await session.close()  # idempotent


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"text": "a", "audio_stream_end": True}, {"audio": b"raw"}, {"audio_stream_end": False}, {"text": 3}],
)
async def test_bad_realtime_input_is_refused(client: genai_async.Client, kwargs: dict[str, Any]) -> None:
    async with client.live.connect(model=MODEL) as session:
        with pytest.raises(errors.ConfigurationError):
            await session.send_realtime_input(**kwargs)


async def test_oversized_frame_closes_with_message_too_big(client: genai_async.Client) -> None:
    big = types.Blob(data=b"\x00" * (4 * 1024 * 1024), mime_type="audio/pcm;rate=16000")
    async with client.live.connect(model=MODEL) as session:
        with pytest.raises(errors.ClientError) as caught:
            await session.send_realtime_input(audio=big)
            await turn(session)
    assert caught.value.close_code == 1009 and caught.value.code == 413


async def test_concurrent_receive_is_refused(client: genai_async.Client) -> None:
    async with client.live.connect(model=MODEL) as session:
        first = asyncio.ensure_future(turn(session))
        await asyncio.sleep(0)  # let it park on the socket (no timing: it parks at once)
        with pytest.raises(errors.ConfigurationError, match="already running"):
            await turn(session)
        await session.send_client_content(turns="hi", turn_complete=True)
        assert joined(await first)


async def test_text_frames_are_read_as_well_as_binary(client: genai_async.Client, emu: Emulator) -> None:
    emu.live.binary_frames = False
    async with client.live.connect(model=MODEL) as session:
        await session.send_client_content(turns="Tell me about Vienna", turn_complete=True)
        assert "Vienna" in joined(await turn(session))


async def test_session_without_resumption_fails_on_drop(client: genai_async.Client, emu: Emulator) -> None:
    emu.live.queue_drop(after_messages=2)
    async with client.live.connect(model=MODEL) as session:
        await session.send_client_content(turns="Hello", turn_complete=True)
        with pytest.raises(errors.ConnectionError, match="dropped"):
            await turn(session)


async def test_refused_resumption_handle_ends_session_with_its_error(client: genai_async.Client) -> None:
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(handle="bogus"))
    with pytest.raises(errors.ClientError, match="resumption handle"):
        async with client.live.connect(model=MODEL, config=config):
            pass


# ----------------------------------------------------------------------------- timeouts and a silent server


@contextlib.asynccontextmanager
async def _silent_server(handler: Any) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_no_setup_complete_within_the_silence_limit_is_a_timeout() -> None:
    async def mute(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:  # reads setup, never answers
            pass
        return ws

    async with _silent_server(mute) as base:
        async with genai_async.Client(api_key="k", base_url=base, timeout=0.05) as client:
            with pytest.raises(errors.TimeoutError) as caught:
                async with client.live.connect(model=MODEL):
                    pass
            assert caught.value.limit == "read"
            assert client.open_connections == 0


async def test_upgrade_refused_with_http_error_is_api_error() -> None:
    async def refuse(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"code": 403, "message": "nope", "status": "PERMISSION_DENIED"}}, status=403)

    async with _silent_server(refuse) as base:
        async with genai_async.Client(api_key="k", base_url=base) as client:
            with pytest.raises(errors.ClientError) as caught:
                async with client.live.connect(model=MODEL):
                    pass
    assert caught.value.code == 403


async def test_connect_refused_is_connection_error() -> None:
    async with genai_async.Client(api_key="k", base_url="http://127.0.0.1:9") as client:
        with pytest.raises(errors.ConnectionError):
            async with client.live.connect(model=MODEL):
                pass


# ----------------------------------------------------------------------------- back-pressure


async def test_sending_waits_for_the_network_instead_of_buffering(emu: Emulator) -> None:
    """A peer that stops reading: the sender parks with a bounded amount written."""
    gate = asyncio.Event()

    async def stalled(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()  # setup
        await ws.send_str('{"setupComplete": {}}')
        request.transport.pause_reading()  # type: ignore[union-attr]
        await gate.wait()
        request.transport.resume_reading()  # type: ignore[union-attr]  # so the close handshake ends at once
        return ws

    async with _silent_server(stalled) as base:
        async with genai_async.Client(api_key="k", base_url=base) as client:
            async with client.live.connect(model=MODEL) as session:
                chunk = types.Blob(data=b"\x01" * 32000, mime_type="audio/pcm;rate=16000")
                sent = 0

                async def produce() -> None:
                    nonlocal sent
                    while True:
                        await session.send_realtime_input(audio=chunk)
                        sent += 1

                producer = asyncio.ensure_future(produce())
                for _ in range(2000):  # until the producer is parked on the full socket
                    await asyncio.sleep(0)
                    if producer.done():
                        break
                stalled_at = sent
                for _ in range(200):
                    await asyncio.sleep(0)
                assert sent == stalled_at and not producer.done()
                # what was accepted is bounded by socket buffers, not by how long we waited
                assert sent * 42700 < 64 * 1024 * 1024
                transport = session._sock._ws._response.connection.transport
                assert transport.get_write_buffer_size() < 2 * 1024 * 1024
                producer.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await producer
                gate.set()


async def test_go_away_whose_connection_closes_before_the_next_turn(client: genai_async.Client, emu: Emulator) -> None:
    emu.live.queue_go_away(after_turns=1, time_left=0.001)
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="I have 4 dogs", turn_complete=True)
        await turn(session)
        await wait_until(lambda: emu.live.sessions == 1 and not emu.live._sockets)  # the old one is gone
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        second = await turn(session)
        assert session.resumptions == 1
    assert "16 paws" in joined(second)
    assert sum(1 for m in second if m.server_content and m.server_content.turn_complete) == 1


async def test_a_parked_receive_resumes_and_the_session_goes_on(client: genai_async.Client, emu: Emulator) -> None:
    emu.tokens_per_second = 400.0
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="I have 5 dogs", turn_complete=True)
        await turn(session)
        await turn_until_handle(session)
        session._sock.abort()  # noticed by the receive below, which resumes with the handle
        receiving = asyncio.ensure_future(turn(session))
        await wait_until(lambda: session.resumptions == 1)
        await session.send_client_content(turns="How many paws are in my house?", turn_complete=True)
        answer = joined(await receiving)
    assert "20 paws" in answer
