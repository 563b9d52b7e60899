"""The emulator's Live endpoint spoken to with a raw aiohttp WebSocket (no genai_async client)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from genai_async.emulator import Emulator

PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
SETUP = {"setup": {"model": "models/gemini-live-2.5-flash-preview"}}


@pytest.fixture
async def ws(session: aiohttp.ClientSession, emu: Emulator) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with session.ws_connect(emu.base_url + PATH, headers={"x-goog-api-key": "k"}) as sock:
        yield sock


async def read(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.BINARY, msg
    return json.loads(msg.data)


async def until_turn_complete(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    out = []
    while True:
        out.append(await read(ws))
        if out[-1].get("serverContent", {}).get("turnComplete"):
            return out


async def test_setup_must_come_first(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str(json.dumps({"clientContent": {"turns": [], "turnComplete": True}}))
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == 1007 and "first message must be setup" in msg.extra


async def test_setup_twice_is_refused(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str(json.dumps(SETUP))
    assert await read(ws) == {"setupComplete": {}}
    await ws.send_str(json.dumps(SETUP))
    msg = await ws.receive()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1007)


async def test_missing_key_and_unknown_model(session: aiohttp.ClientSession, emu: Emulator) -> None:
    async with session.ws_connect(emu.base_url + PATH) as ws:
        await ws.send_str(json.dumps(SETUP))
        msg = await ws.receive()
        assert msg.data == 1008 and "unregistered callers" in msg.extra
    async with session.ws_connect(emu.base_url + PATH + "?key=k") as ws:
        await ws.send_str(json.dumps({"setup": {"model": "models/gemini-nope"}}))
        msg = await ws.receive()
        assert msg.data == 1008 and "models/gemini-nope is not found for API version v1beta" in msg.extra


async def test_recorded_session_plays_out(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The fixture's client frames (snake_case accepted too) get answers of the recorded shape."""
    setup = {
        "setup": {
            "model": "models/gemini-live-2.5-flash-preview",
            "generation_config": {"response_modalities": ["TEXT"]},
            "tools": [{"functionDeclarations": [{"name": "get_time", "description": "Current UTC time."}]}],
            "sessionResumption": {},
        }
    }
    await ws.send_str(json.dumps(setup))
    assert await read(ws) == {"setupComplete": {}}
    question = {
        "client_content": {"turns": [{"role": "user", "parts": [{"text": "What time is it?"}]}], "turn_complete": True}
    }
    await ws.send_str(json.dumps(question))
    call = (await read(ws))["toolCall"]["functionCalls"][0]
    assert call["name"] == "get_time" and call["id"]
    answer = {
        "toolResponse": {
            "functionResponses": [{"id": call["id"], "name": "get_time", "response": {"output": "09:41Z"}}]
        }
    }
    await ws.send_str(json.dumps(answer))
    messages = await until_turn_complete(ws)
    text = "".join(
        p["text"] for m in messages for p in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    )
    assert "09:41Z" in text
    assert messages[-2] == {"serverContent": {"generationComplete": True}}
    usage = messages[-1]["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["responseTokenCount"]
    update = (await read(ws))["sessionResumptionUpdate"]
    assert update["resumable"] is True and update["newHandle"]


async def test_interruption_cancels_a_pending_tool_call(ws: aiohttp.ClientWebSocketResponse) -> None:
    tools = [{"functionDeclarations": [{"name": "get_time", "description": "Current UTC time."}]}]
    await ws.send_str(json.dumps({"setup": {**SETUP["setup"], "tools": tools}}))
    await read(ws)
    question = {
        "clientContent": {"turns": [{"role": "user", "parts": [{"text": "What time is it?"}]}], "turnComplete": True}
    }
    await ws.send_str(json.dumps(question))
    call = (await read(ws))["toolCall"]["functionCalls"][0]
    other = {
        "clientContent": {"turns": [{"role": "user", "parts": [{"text": "Tell me about Rome"}]}], "turnComplete": True}
    }
    await ws.send_str(json.dumps(other))
    assert await read(ws) == {"toolCallCancellation": {"ids": [call["id"]]}}
    assert await read(ws) == {"serverContent": {"interrupted": True}}
    late = {"toolResponse": {"functionResponses": [{"id": call["id"], "name": "get_time", "response": {}}]}}
    await ws.send_str(json.dumps(late))  # too late: ignored, the session goes on
    messages = await until_turn_complete(ws)
    text = "".join(
        p["text"] for m in messages for p in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    )
    assert "Rome" in text


async def test_tool_response_without_call_is_refused(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str(json.dumps(SETUP))
    await read(ws)
    await ws.send_str(json.dumps({"toolResponse": {"functionResponses": [{"id": "x", "name": "f", "response": {}}]}}))
    msg = await ws.receive()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1007)


async def test_bad_json_and_two_members_are_refused(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str("{nope")
    msg = await ws.receive()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1007)


async def test_go_away_then_close_after_time_left(ws: aiohttp.ClientWebSocketResponse, emu: Emulator) -> None:
    emu.live.queue_go_away(after_turns=1, time_left=0.01)
    await ws.send_str(json.dumps(SETUP))
    await read(ws)
    await ws.send_str(json.dumps({"realtimeInput": {"text": "hello"}}))
    await until_turn_complete(ws)
    assert await read(ws) == {"goAway": {"timeLeft": "0.01s"}}
    msg = await ws.receive()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1000)


async def test_audio_answer_frames_are_whole_samples(ws: aiohttp.ClientWebSocketResponse) -> None:
    setup = {"setup": {**SETUP["setup"], "generationConfig": {"responseModalities": ["AUDIO"]}}}
    await ws.send_str(json.dumps(setup))
    await read(ws)
    await ws.send_str(json.dumps({"realtimeInput": {"text": "hello"}}))
    messages = await until_turn_complete(ws)
    blobs = [
        p["inlineData"] for m in messages for p in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    ]
    assert blobs and all(b["mimeType"] == "audio/pcm;rate=24000" for b in blobs)
    assert all(len(base64.b64decode(b["data"])) % 2 == 0 for b in blobs)
