"""client.chats over a real socket: history replay, streamed turns, curation, failures, concurrency."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async._resources.chats import Chat
from tests.conftest import Scripted, fixture_bytes, fixture_json
from tests.integration.test_stream import events_of, fixture_text

MODEL = "gemini-3.5-flash"
Reply = dict[str, Any] | list[bytes] | tuple[int, dict[str, Any]] | Callable[[], None]


@pytest.fixture
async def client(server: Scripted) -> AsyncIterator[genai_async.Client]:
    """Retries off, so an HTTP 500 surfaces at once."""
    c = genai_async.Client(
        api_key="test-key-123", base_url=server.base_url, http_options={"retry_options": {"attempts": 1}}
    )
    try:
        yield c
    finally:
        await c.aclose()


def answer(text: str, rid: str = "r1") -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "modelVersion": MODEL,
        "responseId": rid,
    }


def script(server: Scripted, *replies: Reply) -> None:
    """Answer successive requests in order: a dict is a 200 JSON reply, ``(status, dict)`` an error,
    a list of bytes an SSE stream, a callable installs any ``server.reply_*`` handler."""
    handlers = []
    for reply in replies:
        if callable(reply):
            reply()
        elif isinstance(reply, list):
            server.reply_stream(reply)
        elif isinstance(reply, tuple):
            server.reply_json(reply[1], status=reply[0])
        else:
            server.reply_json(reply)
        handlers.append(server.handler)
    pending = iter(handlers)

    async def handler(request: web.Request) -> web.StreamResponse:
        h = next(pending)
        assert h is not None
        return await h(request)

    server.handler = handler


def signature_in(fixture: str) -> str:
    """The base64 thoughtSignature exactly as the fixture spells it."""
    found = re.findall(r'"thoughtSignature": "([^"]+)"', fixture_bytes(fixture).decode())
    assert len(found) == 1
    return str(found[0])


def wire(history: list[types.Content]) -> list[Any]:
    return [json.loads(genai_async._codec.encode(c)) for c in history]


def sent_contents(server: Scripted, n: int) -> list[dict[str, Any]]:
    contents: list[dict[str, Any]] = server.requests[n]["json"]["contents"]
    return contents


def user_text(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


async def first_turn(chat: Chat, server: Scripted) -> list[types.Content]:
    """Commit one ordinary turn and return the history it left."""
    script(server, answer("Hello!"))
    await chat.send_message("Hi")
    history = chat.get_history()
    assert len(history) == 2
    return history


# ---------------------------------------------------------------------------- the documented example


async def test_seed_example_second_request_replays_first_turn(server: Scripted, client: genai_async.Client) -> None:
    script(server, answer("That's nice! Dogs are great companions."), answer("There are 8 paws in your house."))
    chat = client.aio.chats.create(model=MODEL)
    first = await chat.send_message("I have 2 dogs in my house.")
    assert first.text == "That's nice! Dogs are great companions."
    second = await chat.send_message("How many paws are in my house?")
    assert second.text == "There are 8 paws in your house."

    assert [r["path"] for r in server.requests] == ["/v1beta/models/gemini-3.5-flash:generateContent"] * 2
    assert sent_contents(server, 0) == [user_text("I have 2 dogs in my house.")]
    contents = sent_contents(server, 1)
    assert len(contents) == 3
    assert contents[0]["role"] == "user"
    assert contents[0]["parts"] == [{"text": "I have 2 dogs in my house."}]
    assert contents[1]["role"] == "model"
    assert contents[1]["parts"] == [{"text": "That's nice! Dogs are great companions."}]
    assert contents[2]["role"] == "user"
    assert contents[2]["parts"] == [{"text": "How many paws are in my house?"}]
    assert set(server.requests[1]["json"]) == {"contents"}

    history = chat.get_history()
    assert [(m.role, m.parts[0].text) for m in history if m.parts] == [
        ("user", "I have 2 dogs in my house."),
        ("model", "That's nice! Dogs are great companions."),
        ("user", "How many paws are in my house?"),
        ("model", "There are 8 paws in your house."),
    ]
    assert chat.get_history(curated=True) == history


async def test_history_given_at_create_is_sent_first(server: Scripted, client: genai_async.Client) -> None:
    script(server, answer("Sure."))
    chat = client.chats.create(
        model=MODEL,
        history=[
            types.Content(role="user", parts=[types.Part(text="Hello")]),
            {"role": "model", "parts": [{"text": "Great to meet you.", "thought_signature": b"\x00sig"}]},
        ],
    )
    await chat.send_message("Tell me a joke")
    assert sent_contents(server, 0) == [
        user_text("Hello"),
        {"role": "model", "parts": [{"text": "Great to meet you.", "thoughtSignature": "AHNpZw=="}]},
        user_text("Tell me a joke"),
    ]
    assert len(chat.get_history()) == 4


async def test_bad_create_arguments_raise_before_any_request(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match="'user' or 'model'"):
        client.chats.create(model=MODEL, history=[{"role": "system", "parts": [{"text": "x"}]}])
    with pytest.raises(errors.ConfigurationError, match="model="):
        client.chats.create(model="not a model")
    with pytest.raises(errors.ConfigurationError, match="did you mean 'temperature'"):
        client.chats.create(model=MODEL, config={"temprature": 1})
    chat = client.chats.create(model=MODEL)
    with pytest.raises(errors.ConfigurationError, match="message"):
        await chat.send_message("")
    with pytest.raises(errors.ConfigurationError, match="user turn"):
        chat.send_message_stream({"role": "model", "parts": [{"text": "x"}]})
    assert server.requests == []
    assert chat.get_history() == []


async def test_model_and_config_are_read_only(client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL, config={"temperature": 0.5})
    assert chat.model == MODEL
    assert chat.config == types.GenerateContentConfig(temperature=0.5)
    with pytest.raises(AttributeError):
        chat.model = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        chat.config = None  # type: ignore[misc]


async def test_get_history_returns_a_new_list(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    history = await first_turn(chat, server)
    history.clear()
    assert len(chat.get_history()) == 2


# ---------------------------------------------------------------------------- streamed turns


async def test_streamed_turn_is_one_content_with_its_signature(server: Scripted, client: genai_async.Client) -> None:
    script(server, events_of("stream_thoughts.sse"), answer("Yes."))
    chat = client.aio.chats.create(model=MODEL)
    streamed = []
    async for chunk in await chat.send_message_stream("Why is the sky blue?"):
        streamed.append(chunk.text or "")
    assert len(streamed) == 6

    history = chat.get_history()
    assert [c.role for c in history] == ["user", "model"]
    turn = history[1]
    assert turn.parts is not None and len(turn.parts) == 2
    assert turn.parts[0].thought is True and turn.parts[0].thought_signature is None
    answer_text = "".join(p.text or "" for p in turn.parts if not p.thought)
    assert answer_text == "".join(streamed) == fixture_text("stream_thoughts.sse")
    assert turn.parts[1].thought_signature == base64.b64decode(signature_in("stream_thoughts.sse"))

    await chat.send_message("Is that also why the sea is blue?")
    model = sent_contents(server, 1)[1]
    assert model["role"] == "model"
    assert model["parts"][0]["thought"] is True
    assert model["parts"][0]["text"].startswith("**Clarifying the request**")
    assert model["parts"][1]["text"] == fixture_text("stream_thoughts.sse")
    assert model["parts"][1]["thoughtSignature"] == signature_in("stream_thoughts.sse")
    assert b'"thoughtSignature":"' + signature_in("stream_thoughts.sse").encode() + b'"' in server.requests[1]["body"]


async def test_function_call_signature_is_replayed_byte_exact(server: Scripted, client: genai_async.Client) -> None:
    script(server, events_of("stream_function_call.sse"), events_of("stream_text.sse"))
    chat = client.chats.create(model=MODEL, config={"tools": [{"function_declarations": [{"name": "get_weather"}]}]})
    async with chat.send_message_stream("What's the weather in Zurich?") as stream:
        async for _ in stream:
            pass
    calls = stream.response.function_calls
    assert calls is not None and calls[0].name == "get_weather"

    result = types.Part.from_function_response(name="get_weather", response={"output": {"temp": 21}})
    async with chat.send_message_stream(result) as stream2:
        async for _ in stream2:
            pass

    contents = sent_contents(server, 1)
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    call_part = contents[1]["parts"][1]
    assert call_part["functionCall"] == {"name": "get_weather", "args": {"city": "Zurich", "unit": "celsius"}}
    assert call_part["thoughtSignature"] == signature_in("stream_function_call.sse")
    assert contents[2]["parts"] == [{"functionResponse": {"name": "get_weather", "response": {"output": {"temp": 21}}}}]
    assert [c.role for c in chat.get_history()] == ["user", "model", "user", "model"]


async def test_stream_response_and_chunk_count(server: Scripted, client: genai_async.Client) -> None:
    script(server, events_of("stream_text.sse"))
    chat = client.chats.create(model=MODEL)
    stream = chat.send_message_stream("x")
    assert stream.chunk_count == 0
    with pytest.raises(genai_async.GenAIError, match="iterate the stream first"):
        _ = stream.response  # before iterating: a clear error, not a silently empty response
    chunks = [c async for c in stream]
    assert stream.chunk_count == len(chunks) == 9
    assert stream.response.text == fixture_text("stream_text.sse")
    assert chat.get_history()[1].parts == stream.response.candidates[0].content.parts  # type: ignore[index,union-attr]


# ---------------------------------------------------------------------------- curated vs comprehensive


async def test_blocked_prompt_is_only_in_comprehensive_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, events_of("stream_prompt_blocked.sse"), answer("OK"))
    stream = await chat.send_message_stream("something bad")
    async for _ in stream:
        pass
    assert stream.response.prompt_feedback is not None
    assert stream.response.prompt_feedback.block_reason == "SAFETY"

    full = chat.get_history()
    assert full[:2] == before
    assert full[2] == types.Content(role="user", parts=[types.Part(text="something bad")])
    assert full[3] == types.Content(role="model", parts=[])
    assert chat.get_history(curated=True) == before

    await chat.send_message("Something else")
    assert sent_contents(server, 2) == [*wire(before), user_text("Something else")]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({"candidates": [{"finishReason": "SAFETY", "index": 0}], "responseId": "s"}, id="safety"),
        pytest.param({"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}]}, id="no-parts"),
        pytest.param({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}}]}, id="empty-text"),
        pytest.param({"promptFeedback": {"blockReason": "OTHER"}}, id="prompt-blocked"),
    ],
)
async def test_empty_or_withheld_answer_is_curated_out(
    server: Scripted, client: genai_async.Client, reply: dict[str, Any]
) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, reply, answer("fine"))
    response = await chat.send_message("tell me")
    assert not response.text
    assert len(chat.get_history()) == 4
    assert chat.get_history()[3] == types.Content(role="model", parts=[])
    assert chat.get_history(curated=True) == before
    await chat.send_message("again")
    assert sent_contents(server, 2) == [*wire(before), user_text("again")]
    assert [c.parts[0].text for c in chat.get_history(curated=True) if c.parts] == ["Hi", "Hello!", "again", "fine"]


async def test_text_streamed_before_a_safety_stop_is_kept(server: Scripted, client: genai_async.Client) -> None:
    script(server, events_of("stream_candidate_safety.sse"))
    chat = client.chats.create(model=MODEL)
    async for _ in chat.send_message_stream("how does it work?"):
        pass
    history = chat.get_history(curated=True)
    assert len(history) == 2
    assert history[1].parts == [types.Part(text=fixture_text("stream_candidate_safety.sse"))]


# ---------------------------------------------------------------------------- failures leave history alone


async def test_http_500_on_send_message_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, (500, fixture_json("error_500.json")), answer("Recovered"))
    with pytest.raises(errors.ServerError) as info:
        await chat.send_message("lost")
    assert info.value.code == 500
    assert chat.get_history() == before
    await chat.send_message("retry")
    assert sent_contents(server, 2) == [*wire(before), user_text("retry")]


async def test_http_500_on_send_message_stream_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, (500, fixture_json("error_500.json")), events_of("stream_text.sse"))
    with pytest.raises(errors.ServerError):
        await chat.send_message_stream("lost")
    assert chat.get_history() == before
    async for _ in chat.send_message_stream("retry"):
        pass
    assert sent_contents(server, 2) == [*wire(before), user_text("retry")]


async def test_inband_error_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, events_of("stream_error_midstream.sse"))
    got = []
    with pytest.raises(errors.ServerError) as info:
        async for chunk in chat.send_message_stream("moons"):
            got.append(chunk)
    assert len(got) == 3 and info.value.partial is not None
    assert chat.get_history() == before


async def test_truncated_stream_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, events_of("stream_text.sse")[:4])
    stream = chat.send_message_stream("x")
    with pytest.raises(errors.StreamError, match="finishReason"):
        async for _ in stream:
            pass
    assert chat.get_history() == before
    assert [c async for c in stream] == []  # iterating again after the error commits nothing
    assert chat.get_history() == before


async def test_cancellation_mid_stream_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.2), answer("after"))
    first = asyncio.Event()

    async def consume() -> None:
        async with chat.send_message_stream("x") as stream:
            async for _ in stream:
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chat.get_history() == before
    assert client.open_connections == 0
    await chat.send_message("next")
    assert sent_contents(server, 2) == [*wire(before), user_text("next")]


async def test_cancelled_send_message_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    arrived = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        arrived.set()
        await asyncio.sleep(10)
        return web.json_response(answer("too late"))

    script(server, lambda: setattr(server, "handler", slow), answer("after"))
    task = asyncio.create_task(chat.send_message("slow"))
    await asyncio.wait_for(arrived.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chat.get_history() == before
    await chat.send_message("next")
    assert len(chat.get_history()) == 4


SHOWN = "Chunked transfer encoding is an HTTP/1.1 mechanism"
"""The text of the first chunk of stream_text.sse."""


def model_text(text: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text}]}


async def test_stop_generating_keeps_what_was_shown(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01), answer("after"))
    async with chat.send_message_stream("x") as stream:
        async for _ in stream:
            break
    assert wire(chat.get_history()) == [*wire(before), user_text("x"), model_text(SHOWN)]
    assert client.open_connections == 0
    await chat.send_message("next")
    assert sent_contents(server, 2) == [*wire(before), user_text("x"), model_text(SHOWN), user_text("next")]


async def test_break_in_official_sdk_shape_frees_the_chat(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01), answer("after"))
    async for _ in await chat.send_message_stream("x"):
        break
    gc.collect()  # the dropped stream frees the turn when collected (immediately on CPython)
    assert wire(chat.get_history()) == [*wire(before), user_text("x"), model_text(SHOWN)]
    await chat.send_message("next")
    assert len(chat.get_history()) == 6


async def test_aclose_after_two_chunks_keeps_them_stitched(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01))
    stream = await chat.send_message_stream("x")
    first = await stream.__anext__()
    second = await stream.__anext__()
    await stream.aclose()
    await stream.aclose()
    assert [c async for c in stream] == []
    shown = (first.text or "") + (second.text or "")
    assert wire(chat.get_history()) == [*wire(before), user_text("x"), model_text(shown)]


async def test_aclose_before_any_chunk_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01))
    stream = await chat.send_message_stream("x")
    await stream.aclose()
    assert chat.get_history() == before


async def test_abandoned_stream_then_new_send_works(server: Scripted, client: genai_async.Client) -> None:
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.05), answer("fresh"))
    chat = client.chats.create(model=MODEL)
    stream = chat.send_message_stream("abandoned")
    await stream.__anext__()
    del stream
    gc.collect()
    await asyncio.sleep(0)
    assert client.open_connections == 0
    response = await chat.send_message("new")
    assert response.text == "fresh"
    shown = model_text(SHOWN)
    assert sent_contents(server, 1) == [user_text("abandoned"), shown, user_text("new")]
    assert [c.parts[0].text for c in chat.get_history() if c.parts] == ["abandoned", SHOWN, "new", "fresh"]


# ---------------------------------------------------------------------------- concurrency


async def test_concurrent_sends_are_serialised(server: Scripted, client: genai_async.Client) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await asyncio.sleep(0.05)  # keep the first call in flight while the second one is made
        return web.json_response(answer("re: " + body["contents"][-1]["parts"][0]["text"]))

    server.handler = echo
    chat = client.chats.create(model=MODEL)
    first, second = await asyncio.gather(chat.send_message("one"), chat.send_message("two"))
    assert (first.text, second.text) == ("re: one", "re: two")
    assert [c.parts[0].text for c in chat.get_history() if c.parts] == ["one", "re: one", "two", "re: two"]
    assert sent_contents(server, 1) == [
        user_text("one"),
        {"role": "model", "parts": [{"text": "re: one"}]},
        user_text("two"),
    ]


async def test_stream_waits_for_a_send_message_in_flight(server: Scripted, client: genai_async.Client) -> None:
    async def slow_answer(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)
        return web.json_response(answer("first"))

    script(server, lambda: setattr(server, "handler", slow_answer), events_of("stream_text.sse"))
    chat = client.chats.create(model=MODEL)

    async def consume() -> None:
        async for _ in chat.send_message_stream("two"):
            pass

    await asyncio.gather(chat.send_message("one"), consume())
    assert [c.role for c in chat.get_history()] == ["user", "model", "user", "model"]
    assert len(sent_contents(server, 1)) == 3


async def test_send_while_a_stream_is_open_is_rejected(server: Scripted, client: genai_async.Client) -> None:
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01), answer("later"))
    chat = client.chats.create(model=MODEL)
    async with chat.send_message_stream("first") as stream:
        await stream.__anext__()
        with pytest.raises(errors.GenAIError, match="still open.*close it") as info:
            await chat.send_message("second")
        assert MODEL in str(info.value)
        with pytest.raises(errors.GenAIError, match="still open"):
            chat.send_message_stream("second")
        async for _ in stream:
            pass
    assert len(server.requests) == 1
    assert [c.parts[0].text for c in chat.get_history()[::2] if c.parts] == ["first"]
    await chat.send_message("second")
    assert len(chat.get_history()) == 4


async def test_second_stream_opened_while_one_is_open_is_rejected(server: Scripted, client: genai_async.Client) -> None:
    script(server, events_of("stream_text.sse"))
    chat = client.chats.create(model=MODEL)
    early = chat.send_message_stream("made before the other opened")
    async with chat.send_message_stream("first") as stream:
        with pytest.raises(errors.GenAIError, match="still open"):
            await early
        async for _ in stream:
            pass
    assert len(server.requests) == 1
    assert len(chat.get_history()) == 2


# ---------------------------------------------------------------------------- per-call config


async def test_per_call_config_replaces_the_chat_config(server: Scripted, client: genai_async.Client) -> None:
    script(server, answer("a"), answer("b"), events_of("stream_text.sse"), events_of("stream_text.sse"))
    chat = client.chats.create(model=MODEL, config={"temperature": 0.1, "system_instruction": "Be brief."})
    await chat.send_message("one")
    await chat.send_message("two", config=types.GenerateContentConfig(max_output_tokens=5))
    async for _ in chat.send_message_stream("three", config={"topK": 3}):
        pass
    async for _ in chat.send_message_stream("four"):
        pass

    chat_wide = {"systemInstruction": {"parts": [{"text": "Be brief."}]}, "generationConfig": {"temperature": 0.1}}
    bodies = [r["json"] for r in server.requests]
    assert {k: v for k, v in bodies[0].items() if k != "contents"} == chat_wide
    assert {k: v for k, v in bodies[1].items() if k != "contents"} == {"generationConfig": {"maxOutputTokens": 5}}
    assert {k: v for k, v in bodies[2].items() if k != "contents"} == {"generationConfig": {"topK": 3}}
    assert {k: v for k, v in bodies[3].items() if k != "contents"} == chat_wide
    assert server.requests[2]["path"].endswith(":streamGenerateContent")
    assert chat.config == types.GenerateContentConfig(temperature=0.1, system_instruction="Be brief.")


# ---------------------------------------------------------------------------- stop generating


async def test_stop_generating_keeps_thoughts_and_signature(server: Scripted, client: genai_async.Client) -> None:
    """Stopped after the first answer chunk (the signed one): one stitched Content, signature on its part."""
    script(server, lambda: server.reply_stream(events_of("stream_thoughts.sse"), pause=0.01), answer("ok"))
    chat = client.chats.create(model=MODEL)
    async with chat.send_message_stream("Why is the sky blue?") as stream:
        async for chunk in stream:
            if chunk.text:
                break
    user, model = chat.get_history()
    assert user.role == "user" and model.role == "model"
    assert model.parts is not None and model.parts[0].thought is True
    answer_parts = [p for p in model.parts if not p.thought]
    assert len(answer_parts) == 1 and answer_parts[0].text == chunk.text
    assert answer_parts[0].thought_signature == base64.b64decode(signature_in("stream_thoughts.sse"))
    await chat.send_message("go on")
    replayed = sent_contents(server, 1)[1]["parts"]
    assert replayed[-1]["thoughtSignature"] == signature_in("stream_thoughts.sse")


async def test_exception_in_the_loop_leaves_history(server: Scripted, client: genai_async.Client) -> None:
    """An exception raised by the caller inside ``async with`` is a failure, not a stop."""
    chat = client.chats.create(model=MODEL)
    before = await first_turn(chat, server)
    script(server, lambda: server.reply_stream(events_of("stream_text.sse"), pause=0.01))
    with pytest.raises(KeyError):
        async with chat.send_message_stream("x") as stream:
            async for _ in stream:
                raise KeyError("caller bug")
    assert chat.get_history() == before
