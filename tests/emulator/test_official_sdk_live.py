"""The official SDK's live client (``client.aio.live.connect``) against the emulator.

google-genai always connects with ``wss://`` (it swaps the scheme of ``base_url``), so the emulator is
served over TLS here with the throwaway self-signed certificate in tests/fixtures/live_tls/ (for
127.0.0.1 and localhost), which the SDK trusts through ``http_options.async_client_args["ssl"]``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from genai_async.emulator import Emulator

from ..conftest import FIXTURES

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

MODEL = "gemini-live-2.5-flash-preview"
TLS = FIXTURES / "live_tls"

pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession from ClientSession is discouraged:DeprecationWarning"
)


@pytest.fixture
async def tls_emulator() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
    runner = web.AppRunner(emulator.app, handler_cancellation=True, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await site.start()
        port = runner.addresses[0][1]
        emulator.base_url = f"https://127.0.0.1:{port}"
        yield emulator
    finally:
        await runner.cleanup()


@pytest.fixture
def sdk(tls_emulator: Emulator) -> Any:
    client_ctx = ssl.create_default_context(cafile=str(TLS / "cert.pem"))
    options = types.HttpOptions(base_url=tls_emulator.base_url, async_client_args={"ssl": client_ctx})
    return genai.Client(api_key="sdk-key", http_options=options)


async def test_text_turn_with_tool_call(sdk: Any, tls_emulator: Emulator) -> None:
    config = types.LiveConnectConfig(
        response_modalities=["TEXT"],
        system_instruction="Be brief.",
        tools=[
            types.Tool(
                function_declarations=[types.FunctionDeclaration(name="get_time", description="Current UTC time.")]
            )
        ],
        session_resumption=types.SessionResumptionConfig(),
    )
    async with sdk.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text="What time is it?")]), turn_complete=True
        )
        texts = []
        async for message in session.receive():
            if message.tool_call:
                responses = [
                    types.FunctionResponse(id=c.id, name=c.name, response={"output": "09:41Z"})
                    for c in message.tool_call.function_calls
                ]
                await session.send_tool_response(function_responses=responses)
            if message.text:
                texts.append(message.text)
        assert "09:41Z" in "".join(texts)
        assert message.usage_metadata.response_token_count > 0
    handshake = tls_emulator.requests[-1]
    assert handshake.headers["x-goog-api-key"] == "sdk-key"
    assert tls_emulator.live.frames[0]["setup"]["model"] == f"models/{MODEL}"


async def test_audio_turn_and_realtime_input(sdk: Any) -> None:
    config = types.LiveConnectConfig(
        response_modalities=["AUDIO"],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        input_audio_transcription=types.AudioTranscriptionConfig(),
    )
    async with sdk.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(audio=types.Blob(data=b"\x00\x00" * 16000, mime_type="audio/pcm;rate=16000"))
        await session.send_realtime_input(audio_stream_end=True)
        audio = b""
        heard = ""
        async for message in session.receive():
            if message.data:
                audio += message.data
            content = message.server_content
            if content and content.input_transcription:
                heard += content.input_transcription.text
        assert len(audio) > 0 and len(audio) % 2 == 0
        assert "1.0 seconds of audio" in heard
