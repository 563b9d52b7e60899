"""Every Python example of the users' text-generation guide (text, thinking, system instruction,
max_output_tokens / stop_sequences / response_mime_type, an image with PIL or as bytes, streaming,
chat, streaming chat, multi-turn contents), written async, against the emulator over a real socket."""

from __future__ import annotations

import base64
import pathlib

import pytest

import genai_async as genai
from genai_async import types

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
MODEL = "gemini-3.5-flash"


@pytest.fixture
async def client(gemini_emulator):
    async with genai.Client(api_key="seed-key", base_url=gemini_emulator.base_url) as c:
        yield c


def last_body(emulator) -> dict:
    return emulator.requests[-1].json


async def test_basic_text(client, gemini_emulator) -> None:
    response = await client.aio.models.generate_content(model=MODEL, contents="How does AI work?")
    assert response.text and "AI" in response.text
    assert last_body(gemini_emulator)["contents"] == [{"role": "user", "parts": [{"text": "How does AI work?"}]}]


async def test_thinking_level(client, gemini_emulator) -> None:
    response = await client.aio.models.generate_content(
        model=MODEL,
        contents="How does AI work?",
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_level="low")),
    )
    assert response.text
    assert last_body(gemini_emulator)["generationConfig"] == {"thinkingConfig": {"thinkingLevel": "LOW"}}


async def test_system_instruction(client, gemini_emulator) -> None:
    response = await client.aio.models.generate_content(
        model=MODEL,
        config=types.GenerateContentConfig(system_instruction="You are a cat. Your name is Neko."),
        contents="Hello there",
    )
    assert response.text and "Neko" in response.text
    assert last_body(gemini_emulator)["systemInstruction"] == {"parts": [{"text": "You are a cat. Your name is Neko."}]}


async def test_max_output_tokens(client, gemini_emulator) -> None:
    response = await client.aio.models.generate_content(
        model=MODEL, contents=["Explain how AI works"], config=types.GenerateContentConfig(max_output_tokens=1000)
    )
    assert response.text
    assert last_body(gemini_emulator)["generationConfig"] == {"maxOutputTokens": 1000}


async def test_stop_sequences_and_json_mime(client, gemini_emulator) -> None:
    response = await client.aio.models.generate_content(
        model=MODEL,
        contents="What is the average size of a swallow?",
        config=types.GenerateContentConfig(max_output_tokens=1000, response_mime_type="application/json"),
    )
    assert isinstance(response.parsed, (dict, list))
    stopped = await client.aio.models.generate_content(
        model=MODEL,
        contents="Explain how AI works; start with the word Title",
        config=types.GenerateContentConfig(stop_sequences=["Title"], max_output_tokens=1000),
    )
    assert "Title" not in (stopped.text or "")
    assert last_body(gemini_emulator)["generationConfig"] == {"stopSequences": ["Title"], "maxOutputTokens": 1000}


async def test_image_with_pil(client, gemini_emulator, tmp_path: pathlib.Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    path = tmp_path / "organ.png"
    path.write_bytes(PNG)
    image = image_module.open(path)
    response = await client.aio.models.generate_content(model=MODEL, contents=[image, "Tell me about this instrument"])
    assert response.text and "image/png" in response.text
    parts = last_body(gemini_emulator)["contents"][0]["parts"]
    assert parts[0]["inlineData"]["mimeType"] == "image/png" and parts[1] == {"text": "Tell me about this instrument"}


@pytest.mark.parametrize("kind", ["part", "bytes", "path", "rest_dict"])
async def test_inline_image_without_pil(client, gemini_emulator, tmp_path: pathlib.Path, kind: str) -> None:
    path = tmp_path / "organ.png"
    path.write_bytes(PNG)
    image = {
        "part": types.Part.from_bytes(data=PNG, mime_type="image/png"),
        "bytes": PNG,
        "path": path,
        "rest_dict": {"inline_data": {"mime_type": "image/png", "data": PNG}},
    }[kind]
    response = await client.aio.models.generate_content(model=MODEL, contents=[image, "Tell me about this instrument"])
    assert response.text and "image/png" in response.text
    sent = last_body(gemini_emulator)["contents"][0]["parts"][0]["inlineData"]
    assert base64.b64decode(sent["data"]) == PNG


async def test_streaming(client, gemini_emulator) -> None:
    pieces = []
    async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents=["Explain how AI works"]):
        pieces.append(chunk.text or "")
    assert len(pieces) > 1 and "".join(pieces)
    unary = await client.aio.models.generate_content(model=MODEL, contents=["Explain how AI works"])
    assert "".join(pieces) == unary.text  # the emulator is deterministic: same request, same answer


async def test_chat(client) -> None:
    chat = client.aio.chats.create(model=MODEL)
    first = await chat.send_message("I have 2 dogs in my house.")
    second = await chat.send_message("How many paws are in my house?")
    assert first.text and second.text and "8" in second.text
    history = chat.get_history()
    assert [m.role for m in history] == ["user", "model", "user", "model"]
    assert history[0].parts[0].text == "I have 2 dogs in my house."


async def test_chat_streaming(client) -> None:
    chat = client.aio.chats.create(model=MODEL)
    for message in ("I have 2 dogs in my house.", "How many paws are in my house?"):
        text = ""
        async for chunk in await chat.send_message_stream(message):
            text += chunk.text or ""
        assert text
    history = chat.get_history()
    assert [m.role for m in history] == ["user", "model", "user", "model"]
    assert "8" in (history[3].parts[0].text or "")


async def test_multi_turn_contents_alternating_roles(client, gemini_emulator) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "Hello"}]},
        {"role": "model", "parts": [{"text": "Great to meet you. What would you like to know?"}]},
        {"role": "user", "parts": [{"text": "I have two dogs in my house. How many paws are in my house?"}]},
    ]
    response = await client.aio.models.generate_content(model=MODEL, contents=contents)
    assert response.text
    assert last_body(gemini_emulator)["contents"] == contents
