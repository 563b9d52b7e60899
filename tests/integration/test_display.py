"""How responses, chunks, chats and streams show themselves: reprs that stay short (bytes and long
strings truncated) and indent like the official SDK's, notebook Markdown, a stream's state, and
``stream.response`` read too early."""

from __future__ import annotations

import base64

import pytest

import genai_async
from genai_async import errors, types
from tests.conftest import Scripted, fixture_bytes, fixture_json

MODEL = "gemini-3.5-flash"


def events_of(name: str) -> list[bytes]:
    return [e + b"\r\n\r\n" for e in fixture_bytes(name).split(b"\r\n\r\n") if e.strip()]


# ------------------------------------------------------------------------------------ streams


async def test_stream_response_before_iteration_is_a_clear_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    stream = client.models.generate_content_stream(model=MODEL, contents="x")
    with pytest.raises(errors.GenAIError, match=r"stream.response .* iterate"):
        _ = stream.response
    async with stream:
        with pytest.raises(errors.GenAIError, match="no chunk"):
            _ = stream.response  # open, but nothing read yet
        async for _ in stream:
            break
        assert stream.response.text  # the partial answer once a chunk arrived
    assert stream.chunk_count == 1


async def test_stream_shows_its_state(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    stream = client.models.generate_content_stream(model=MODEL, contents="x")
    assert "not started" in repr(stream) and "streamGenerateContent" in repr(stream)
    assert "not started" in stream._repr_markdown_()
    await stream
    assert "open, 0 chunks so far" in repr(stream)
    first = await stream.__anext__()
    assert "open, 1 chunk so far" in repr(stream)
    assert first.text is not None and first.text in stream._repr_markdown_()
    async for _ in stream:
        pass
    assert "finished, 9 chunks" in repr(stream)
    markdown = stream._repr_markdown_()
    assert "finished, 9 chunks" in markdown and stream.response.text is not None
    assert stream.response.text[-40:] in markdown


async def test_stream_closed_early_says_so(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream(events_of("stream_text.sse"))
    async with client.models.generate_content_stream(model=MODEL, contents="x") as stream:
        async for _ in stream:
            break
    assert "closed before the end, 1 chunk" in repr(stream)


# ------------------------------------------------------------------------------------ reprs


def test_repr_truncates_inline_bytes_and_long_strings() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024)
    part = types.Part.from_bytes(data=png, mime_type="image/png")
    text = repr(types.Content(role="user", parts=[part, types.Part(text="x" * 10_000)]))
    assert len(text) < 1000  # the official SDK prints ~270 characters; the bytes alone are 1 MiB
    assert "b'\\x89PNG" in text and "1,048,584 bytes" in text
    assert "10,000 chars" in text


def test_repr_indents_nested_objects_and_keeps_short_ones_on_one_line() -> None:
    assert repr(types.Part(text="hi")) == "Part(text='hi')"
    response = types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                content=types.Content(role="model", parts=[types.Part(text="Hello there")]),
                finish_reason=types.FinishReason.STOP,
            )
        ],
        usage_metadata=types.UsageMetadata(prompt_token_count=3, candidates_token_count=2, total_token_count=5),
        model_version="gemini-3.5-flash",
    )
    lines = repr(response).splitlines()
    assert lines[0] == "GenerateContentResponse("
    assert lines[1] == "  candidates=["
    assert any(line.startswith("    Candidate(") for line in lines)
    assert lines[-1] == ")"
    assert "  model_version='gemini-3.5-flash'," in lines or "  model_version='gemini-3.5-flash'" in lines


def test_repr_shows_at_most_five_items_of_a_long_list() -> None:
    emb = types.ContentEmbedding(values=[0.5] * 3072)
    text = repr(emb)
    assert "3067 more items" in text and len(text) < 300


def test_repr_shows_parsed_and_parse_error() -> None:
    response = types.GenerateContentResponse()
    response.parsed = {"a": 1}
    assert "parsed={'a': 1}" in repr(response)


# ------------------------------------------------------------------------------------ notebook Markdown


def _rich_response() -> types.GenerateContentResponse:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    return types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                content=types.Content(
                    role="model",
                    parts=[
                        types.Part(text="I considered cats.", thought=True),
                        types.Part(text="**Cats** are great."),
                        types.Part.from_bytes(data=png, mime_type="image/png"),
                    ],
                ),
                finish_reason=types.FinishReason.STOP,
            )
        ],
        usage_metadata=types.UsageMetadata(
            prompt_token_count=3, candidates_token_count=5, thoughts_token_count=7, total_token_count=15
        ),
        model_version="gemini-3.5-flash",
    )


def test_response_markdown_text_thoughts_image_usage() -> None:
    md = _rich_response()._repr_markdown_()
    assert "**Cats** are great." in md
    assert "<details><summary>Thoughts</summary>" in md and "I considered cats." in md
    b64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    assert f"![image/png](data:image/png;base64,{b64})" in md
    (usage,) = [line for line in md.splitlines() if "tokens" in line]
    assert "3 in" in usage and "5 out" in usage and "7 thinking" in usage and "15 total" in usage
    assert "gemini-3.5-flash" in usage


def test_blocked_prompt_markdown() -> None:
    r = types.GenerateContentResponse(prompt_feedback=types.PromptFeedback(block_reason=types.BlockReason.SAFETY))
    assert "blocked" in r._repr_markdown_() and "SAFETY" in r._repr_markdown_()


async def test_chat_history_markdown(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    chat = client.chats.create(model=MODEL)
    await chat.send_message("How does AI work?")
    md = chat._repr_markdown_()
    assert "**user**" in md and "How does AI work?" in md
    assert "**model**" in md and "Chunked transfer encoding" in md
