"""generate_content over a real socket: the request on the wire, the decoded answer, errors."""

from __future__ import annotations

import asyncio
import functools

import msgspec
import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from tests.conftest import Scripted, fixture_bytes, fixture_json
from tests.waiting import parked, wait_until

MODEL = "gemini-3.5-flash"


async def test_generate_text(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    r = await client.models.generate_content(model=MODEL, contents="How does AI work?")
    assert r.text and r.text.startswith("Chunked transfer encoding")
    assert r.usage_metadata is not None and r.usage_metadata.total_token_count == 77
    assert r.response_id == "PIbFprekurmu-MdeHdhOkFf" and r.model_version == MODEL
    req = server.requests[0]
    assert req["method"] == "POST"
    assert req["path"] == "/v1beta/models/gemini-3.5-flash:generateContent"
    assert req["headers"]["x-goog-api-key"] == "test-key-123"
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["headers"]["User-Agent"].startswith("genai-async/")
    assert req["query"] == {}
    assert req["json"] == {"contents": [{"role": "user", "parts": [{"text": "How does AI work?"}]}]}


async def test_models_prefix_and_aio_alias(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    await client.aio.models.generate_content(model="models/gemini-3.5-flash", contents="x")
    assert server.requests[0]["path"] == "/v1beta/models/gemini-3.5-flash:generateContent"


async def test_full_config_on_the_wire(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    cfg = types.GenerateContentConfig(
        system_instruction="You are a cat. Your name is Neko.",
        max_output_tokens=1000,
        stop_sequences=["Title"],
        temperature=0.2,
        thinking_config=types.ThinkingConfig(thinking_level="low", include_thoughts=True),
    )
    await client.models.generate_content(model=MODEL, contents="Hello there", config=cfg)
    body = server.requests[0]["json"]
    assert body["systemInstruction"] == {"parts": [{"text": "You are a cat. Your name is Neko."}]}
    assert body["generationConfig"] == {
        "stopSequences": ["Title"],
        "maxOutputTokens": 1000,
        "temperature": 0.2,
        "thinkingConfig": {"includeThoughts": True, "thinkingLevel": "LOW"},
    }


async def test_function_call_response(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_function_call.json"))
    r = await client.models.generate_content(model=MODEL, contents="weather in Zurich?")
    assert r.function_calls is not None and r.function_calls[0].name == "get_weather"
    assert r.text is None


async def test_parsed_json_output(server: Scripted, client: genai_async.Client) -> None:
    class Answer(msgspec.Struct):
        city: str
        degrees: int

    body = fixture_json("generate_text.json")
    body["candidates"][0]["content"]["parts"][0]["text"] = '{"city": "Zurich", "degrees": 21}'
    server.reply_json(body)
    r = await client.models.generate_content(
        model=MODEL, contents="x", config={"response_mime_type": "application/json", "response_schema": Answer}
    )
    assert r.parsed == Answer("Zurich", 21)


async def test_bad_input_fails_before_any_request(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError):
        await client.models.generate_content(model="bad model", contents="x")
    with pytest.raises(errors.ConfigurationError):
        await client.models.generate_content(model=MODEL, contents=object())
    with pytest.raises(errors.ConfigurationError):
        await client.models.generate_content(model=MODEL, contents="x", config={"bogus": 1})
    with pytest.raises(errors.ConfigurationError):
        client.models.generate_content_stream(model=MODEL, contents="x", config={"bogus": 1})
    assert server.requests == []


@pytest.mark.parametrize(
    ("name", "status", "klass"),
    [
        ("error_400.json", 400, errors.ClientError),
        ("error_429.json", 429, errors.ClientError),
        ("error_503.json", 503, errors.ServerError),
    ],
)
async def test_http_errors(server: Scripted, client: genai_async.Client, name: str, status: int, klass: type) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=fixture_bytes(name), status=status, content_type="application/json", charset="UTF-8")

    server.handler = handler
    with pytest.raises(klass) as info:
        await client.models.generate_content(model=MODEL, contents="x")
    assert info.value.code == status
    assert "test-key-123" not in str(info.value)
    assert client.open_connections <= 1


async def test_html_502_from_proxy(server: Scripted, client: genai_async.Client) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text="<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, content_type="text/html"
        )

    server.handler = handler
    with pytest.raises(errors.ServerError) as info:
        await client.models.generate_content(model=MODEL, contents="x")
    assert info.value.code == 502 and "502 Bad Gateway" in info.value.message


async def test_connection_refused_is_connection_error() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with genai_async.Client(api_key="k", base_url=f"http://127.0.0.1:{port}", retry=False) as client:
        with pytest.raises(errors.ConnectionError) as info:
            await client.models.generate_content(model=MODEL, contents="x")
    assert isinstance(info.value, ConnectionError)
    assert "generateContent" in str(info.value)


async def test_total_timeout_for_unary(server: Scripted) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b" ")
            await asyncio.sleep(0.05)
        return resp

    server.handler = handler
    async with genai_async.Client(api_key="k", base_url=server.base_url, total_timeout=0.3) as client:
        with pytest.raises(errors.TimeoutError) as info:
            await client.models.generate_content(model=MODEL, contents="x")
    assert info.value.limit == "total"
    assert server.requests[0]["headers"]["X-Server-Timeout"] == "1"


async def test_per_request_timeout_override(server: Scripted, client: genai_async.Client) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(1.0)
        return web.json_response(fixture_json("generate_text.json"))

    server.handler = handler
    with pytest.raises(errors.TimeoutError) as info, pytest.warns(UserWarning, match="milliseconds"):
        await client.models.generate_content(model=MODEL, contents="x", config={"http_options": {"timeout": 200}})
    assert info.value.limit == "read"


async def _headers_then_stall(status: int, request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    await resp.write(b'{"candidates": [')  # part of the body, then silence
    await asyncio.sleep(5)
    return resp


@pytest.mark.parametrize("status", [200, 503])
async def test_a_body_that_stalls_after_the_headers_is_a_read_timeout(server: Scripted, status: int) -> None:
    # The silence limit covers the unary body and an error body, not only the wait for headers.
    server.handler = functools.partial(_headers_then_stall, status)
    async with genai_async.Client(api_key="k", base_url=server.base_url, timeout=0.3, retry=False) as client:
        with pytest.raises(errors.TimeoutError) as info:
            await client.models.generate_content(model=MODEL, contents="x")
        assert info.value.limit == "read" and info.value.seconds == 0.3
        assert client.open_connections == 0


async def test_the_callers_cancellation_while_waiting_for_headers_stays_a_cancellation(server: Scripted) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response()

    server.handler = handler
    async with genai_async.Client(api_key="k", base_url=server.base_url, timeout=0.3, retry=False) as client:
        task = asyncio.create_task(client.models.generate_content(model=MODEL, contents="x"))
        await wait_until(lambda: len(server.requests) == 1)
        await parked(task)  # waiting for the headers
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.open_connections == 0
        server.reply_json(fixture_json("generate_text.json"))  # the watchdog's later wake-up harms nothing
        await asyncio.sleep(0.3)
        assert (await client.models.generate_content(model=MODEL, contents="x")).text


async def test_waiting_for_a_pooled_connection_is_not_silence(server: Scripted) -> None:
    # One connection, two calls: the second waits for the first to finish (0.7 s) and then for its
    # own answer (0.7 s). 1.4 s in all, but the server was never silent for the 1 s limit.
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.7)
        return web.json_response(fixture_json("generate_text.json"))

    server.handler = handler
    async with genai_async.Client(
        api_key="k", base_url=server.base_url, timeout=1.0, max_connections=1, retry=False
    ) as client:
        first, second = await asyncio.gather(
            *(client.models.generate_content(model=MODEL, contents="x") for _ in range(2))
        )
        assert first.text and second.text


async def test_aclose_is_idempotent_and_final(server: Scripted) -> None:
    client = genai_async.Client(api_key="k", base_url=server.base_url)
    server.reply_json(fixture_json("generate_text.json"))
    await client.models.generate_content(model=MODEL, contents="x")
    await client.aclose()
    await client.aclose()
    assert client.open_connections == 0
    with pytest.raises(errors.GenAIError, match="closed"):
        await client.models.generate_content(model=MODEL, contents="x")
