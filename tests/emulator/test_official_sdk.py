"""The official google-genai SDK's async surface (``client.aio``) against the emulator.

If the emulator speaks the wire protocol well enough, the SDK cannot tell it from the service:
these tests use only public SDK calls pointed at ``base_url``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genai_async.emulator import Emulator

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

MODEL = "gemini-3.5-flash"

# google-genai subclasses aiohttp.ClientSession inside its async client (_api_client.py,
# `class AiohttpClientSession(aiohttp.ClientSession)`), and aiohttp warns about that on every new
# session. It is the SDK's code, not ours, and the run uses filterwarnings=error, so only that one
# message is ignored here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession from ClientSession is discouraged:DeprecationWarning"
)


async def test_generate_content(aio: Any, sdk_emulator: Emulator) -> None:
    response = await aio.models.generate_content(
        model=MODEL,
        contents="How does AI work?",
        config=types.GenerateContentConfig(
            system_instruction="You are a cat. Your name is Neko.",
            thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_level="low"),
            max_output_tokens=400,
        ),
    )
    assert response.text.startswith("Meow! I'm Neko")
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert any(p.thought for p in response.candidates[0].content.parts)
    assert response.usage_metadata.thoughts_token_count > 0
    assert response.model_version == MODEL
    sent = sdk_emulator.requests[-1]
    assert sent.headers["x-goog-api-key"] == "test-key"
    assert sent.path.endswith(f"/models/{MODEL}:generateContent")


async def test_generate_content_stream(aio: Any) -> None:
    texts, ids = [], set()
    async for chunk in await aio.models.generate_content_stream(model=MODEL, contents="Why is the sky blue?"):
        texts.append(chunk.text or "")
        ids.add(chunk.response_id)
    whole = await aio.models.generate_content(model=MODEL, contents="Why is the sky blue?")
    assert "".join(texts) == whole.text
    assert len(texts) > 1 and len(ids) == 1


async def test_structured_output_and_function_calling(aio: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
    }
    response = await aio.models.generate_content(
        model=MODEL,
        contents="Largest city in Japan?",
        config=types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=schema),
    )
    assert set(response.parsed) == {"city", "population"}

    def get_weather(city: str) -> dict[str, Any]:
        """Current weather for a city."""
        return {"temperature_c": 21, "condition": "sunny"}

    called = await aio.models.generate_content(
        model=MODEL,
        contents="What's the weather in Zurich?",
        config=types.GenerateContentConfig(
            tools=[get_weather], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
        ),
    )
    assert called.function_calls[0].name == "get_weather"
    assert called.function_calls[0].args == {"city": "Zurich"}
    automatic = await aio.models.generate_content(
        model=MODEL,
        contents="What's the weather in Zurich?",
        config=types.GenerateContentConfig(tools=[get_weather]),
    )
    assert "sunny" in automatic.text and "21" in automatic.text


async def test_count_tokens_matches_usage(aio: Any) -> None:
    counted = await aio.models.count_tokens(model=MODEL, contents="How many tokens is this?")
    response = await aio.models.generate_content(model=MODEL, contents="How many tokens is this?")
    assert counted.total_tokens == response.usage_metadata.prompt_token_count


async def test_files_upload_get_and_use(aio: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"The emulator stores uploaded bytes. " * 50)
    uploaded = await aio.files.upload(file=path, config=types.UploadFileConfig(display_name="notes.txt"))
    assert uploaded.state == types.FileState.ACTIVE  # no processing delay configured: ready at finalize
    assert uploaded.uri == f"https://generativelanguage.googleapis.com/v1beta/{uploaded.name}"
    assert uploaded.size_bytes == path.stat().st_size
    fetched = await aio.files.get(name=uploaded.name)
    assert fetched.state == types.FileState.ACTIVE
    response = await aio.models.generate_content(model=MODEL, contents=[fetched, "Summarise this file"])
    assert "notes.txt" in response.text
    names = [f.name async for f in await aio.files.list(config={"page_size": 10})]
    assert uploaded.name in names
    await aio.files.delete(name=uploaded.name)
    with pytest.raises(genai.errors.ClientError) as caught:
        await aio.files.get(name=uploaded.name)
    assert caught.value.code == 403


async def test_embed_content(aio: Any) -> None:
    result = await aio.models.embed_content(
        model="gemini-embedding-001",
        contents=["first text", "second text"],
        config=types.EmbedContentConfig(output_dimensionality=8, task_type="RETRIEVAL_DOCUMENT"),
    )
    assert [len(e.values) for e in result.embeddings] == [8, 8]
    assert result.embeddings[0].values != result.embeddings[1].values


async def test_models_list_and_get(aio: Any) -> None:
    names = [m.name async for m in await aio.models.list(config={"page_size": 3})]
    assert "models/gemini-3.5-flash" in names and "models/gemini-embedding-001" in names
    assert len(names) == len(set(names)) > 3
    model = await aio.models.get(model=MODEL)
    assert model.display_name == "Gemini 3.5 Flash" and model.output_token_limit == 65536


async def test_chats_keep_history(aio: Any) -> None:
    chat = aio.chats.create(model=MODEL)
    await chat.send_message("I have 2 dogs in my house.")
    chunks = [c.text or "" async for c in await chat.send_message_stream("How many paws are in my house?")]
    assert "8 paws" in "".join(chunks)
    history = chat.get_history()
    # The SDK appends each streamed chunk as its own model entry (gemini-rest.md §5.8).
    assert [h.role for h in history[:3]] == ["user", "model", "user"]
    assert [h.role for h in history].count("user") == 2 and len(history) == 3 + len(chunks)


async def test_errors_surface_as_sdk_errors(aio: Any, sdk_emulator: Emulator) -> None:
    sdk_emulator.queue_error(429, retry_delay=37)
    with pytest.raises(genai.errors.ClientError) as caught:
        await aio.models.generate_content(model=MODEL, contents="Hi")
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    sdk_emulator.queue_fault("inband_error", after_events=2, endpoint="streamGenerateContent")
    with pytest.raises(genai.errors.ServerError) as server_error:
        async for _ in await aio.models.generate_content_stream(model=MODEL, contents="Hi"):
            pass
    assert server_error.value.code == 503
    with pytest.raises(genai.errors.ClientError) as not_found:
        await aio.models.generate_content(model="gemini-9.9-flash", contents="Hi")
    assert not_found.value.code == 404
