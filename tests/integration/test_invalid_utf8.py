"""Invalid UTF-8 from the server is the same error in a stream and in a unary call.

The service always sends UTF-8 (docs/gemini-rest.md §0); bytes that are not valid UTF-8 were
corrupted on the way (a broken proxy, a cut multi-byte character). Turning them into U+FFFD would
silently change the answer, so both paths raise StreamError naming "invalid UTF-8", a stream only
after every good chunk before the broken one was delivered (kept on ``exc.partial``)."""

from __future__ import annotations

import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted

MODEL = "gemini-3.5-flash"
GOOD = b'{"candidates": [{"content": {"role": "model", "parts": [{"text": "caf\xc3\xa9 "}]}}]}'
BAD = b'{"candidates": [{"content": {"role": "model", "parts": [{"text": "caf\xe9"}]}, "finishReason": "STOP"}]}'


async def test_unary_invalid_utf8_is_a_stream_error(server: Scripted, client: genai_async.Client) -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=BAD, content_type="application/json")

    server.handler = handler
    with pytest.raises(errors.StreamError, match="invalid UTF-8"):
        await client.models.generate_content(model=MODEL, contents="x")


@pytest.mark.parametrize("together", [False, True], ids=["one-read-each", "one-read"])
async def test_stream_invalid_utf8_is_a_stream_error_after_good_chunks(
    server: Scripted, client: genai_async.Client, together: bool
) -> None:
    events = [b"data: " + GOOD + b"\r\n\r\n", b"data: " + BAD + b"\r\n\r\n"]
    server.reply_stream([b"".join(events)] if together else events)
    seen = []
    with pytest.raises(errors.StreamError, match="invalid UTF-8") as info:
        async for chunk in await client.models.generate_content_stream(model=MODEL, contents="x"):
            seen.append(chunk.text)
    assert seen == ["café "]  # the good chunk came first, whatever the reads
    assert info.value.partial is not None and info.value.partial.text == "café "
    assert not client._transport._live  # the broken stream's response was ended (aiohttp may pool a
    assert client.open_connections <= 1  # connection whose whole body had arrived: never a checked-out one


async def test_stream_invalid_utf8_in_an_unterminated_last_event(server: Scripted, client: genai_async.Client) -> None:
    server.reply_stream([b"data: " + GOOD + b"\r\n\r\n", b"data: " + BAD])
    with pytest.raises(errors.StreamError, match="invalid UTF-8"):
        async for _ in await client.models.generate_content_stream(model=MODEL, contents="x"):
            pass


async def test_valid_replacement_character_is_kept(server: Scripted, client: genai_async.Client) -> None:
    """U+FFFD sent as valid UTF-8 by the service is text like any other."""
    ok = '{"candidates": [{"content": {"parts": [{"text": "\ufffd"}]}, "finishReason": "STOP"}]}'.encode()
    server.reply_stream([b"data: " + ok + b"\r\n\r\n"])
    async for chunk in await client.models.generate_content_stream(model=MODEL, contents="x"):
        assert chunk.text == "\ufffd"
