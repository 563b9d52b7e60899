"""The API key is never reachable from a raised error (issue 15, item 2).

A raw TCP server on 127.0.0.1 answers with exactly the bytes a case needs: a malformed status line,
an over-long header line, a proxy echoing the key in its error body or headers, a stream whose
events echo it. For each raised error, the key must appear in none of: its str/repr, args, vars,
the same for its whole ``__cause__``/``__context__`` chain, its pickle, and a formatted traceback
with locals.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import traceback
from collections.abc import AsyncIterator

import pytest

import genai_async
from genai_async import errors

from .conftest import MODEL, served, sse

KEY = "AIzaSy-echoed-secret-0123456789abcdef"


class RawServer:
    """Reads one request head (and its body) per connection, writes ``reply`` and closes."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.base_url = ""
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            writer.write(self.reply)
            await writer.drain()
        writer.close()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


def _http(status: str, body: bytes, headers: str = "", content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{headers}"
        "Connection: close\r\n\r\n"
    ).encode() + body


ECHO = json.dumps(
    {
        "error": {
            "code": 403,
            "message": f"API key {KEY} not valid",
            "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "metadata": {"key": KEY}}],
        }
    }
).encode()

CASES = {
    "malformed status line": b"HTTP/1.1 abc NOPE\r\n\r\n",
    "garbage instead of HTTP": b"SSH-2.0-OpenSSH\r\n\r\n",
    "over-long header line": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n",
    "error body echoing the key": _http("403 Forbidden", ECHO, headers=f"X-Echo: {KEY}\r\n"),
    "HTML error echoing the key": _http("502 Bad Gateway", f"<p>bad key {KEY}</p>".encode(), content_type="text/html"),
    "unary body that is not a response": _http("200 OK", json.dumps({"candidates": KEY}).encode()),
}
UPLOAD_ECHO = _http("200 OK", b"", headers=f"X-Goog-Upload-URL: /upload/s\r\nX-Goog-Upload-Status: {KEY}\r\n")
STREAM_CASES = {
    "in-band error echoing the key": _http(
        "200 OK", sse({"error": json.loads(ECHO)["error"]}), content_type="text/event-stream"
    ),
    "invalid event echoing the key": _http(
        "200 OK", f"data: {{{KEY}\r\n\r\n".encode(), content_type="text/event-stream"
    ),
    "non-SSE tail echoing the key": _http("200 OK", f"oops {KEY}\n".encode(), content_type="text/event-stream"),
    "cut event echoing the key": _http("200 OK", f'data: {{"x": "{KEY}'.encode(), content_type="text/event-stream"),
}


def assert_key_unreachable(exc: BaseException) -> None:
    """The key is in nothing a user, a logger or a crash reporter would look at."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        for text in (repr(e), str(e), repr(e.args), repr(vars(e)) if hasattr(e, "__dict__") else ""):
            assert KEY not in text, f"{type(e).__name__} shows the key: {text[:300]}"
        for value in vars(e).values() if hasattr(e, "__dict__") else ():
            assert KEY not in repr(value)
        todo += [e.__cause__, e.__context__]
    assert KEY.encode() not in pickle.dumps(exc)
    formatted = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    assert KEY not in formatted


@contextlib.asynccontextmanager
async def _client(reply: bytes) -> AsyncIterator[genai_async.Client]:
    async with served(RawServer(reply)) as server:
        async with genai_async.Client(api_key=KEY, base_url=server.base_url, retry=False, timeout=10) as client:
            yield client


@pytest.mark.parametrize("case", sorted(CASES))
async def test_no_error_of_a_unary_call_reaches_the_key(case: str) -> None:
    async with _client(CASES[case]) as client:
        with pytest.raises(errors.GenAIError) as info:
            await client.models.generate_content(model=MODEL, contents="hi")
    assert_key_unreachable(info.value)


@pytest.mark.parametrize("case", sorted(STREAM_CASES))
async def test_no_error_of_a_stream_reaches_the_key(case: str) -> None:
    async with _client(STREAM_CASES[case]) as client:
        with pytest.raises(errors.GenAIError) as info:
            async for _ in await client.models.generate_content_stream(model=MODEL, contents="hi"):
                pass
    assert_key_unreachable(info.value)


async def test_an_upload_reply_echoing_the_key_does_not_leak_it() -> None:
    async with _client(UPLOAD_ECHO) as client:  # (a module constant: this frame's locals are formatted too)
        with pytest.raises(errors.StreamError) as info:
            await client.files.upload(file=b"hello", config={"mime_type": "text/plain"})
    assert "'***'" in str(info.value)
    assert_key_unreachable(info.value)


async def test_an_echoed_key_is_scrubbed_but_the_message_kept() -> None:
    async with _client(CASES["error body echoing the key"]) as client:
        with pytest.raises(errors.ClientError) as info:
            await client.models.generate_content(model=MODEL, contents="hi")
    exc = info.value
    assert exc.code == 403 and exc.status == "PERMISSION_DENIED"
    assert exc.message == "API key *** not valid"
    assert exc.details[0]["metadata"] == {"key": "***"} and exc.headers["X-Echo"] == "***"


def test_insecure_http_to_a_remote_host_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genai_async"):
        for _ in range(3):
            genai_async.Client(api_key=KEY, base_url="http://insecure-once.example:8080", allow_insecure_http=True)
        genai_async.Client(api_key=KEY, base_url="http://127.0.0.1:9", allow_insecure_http=True)  # loopback: fine
    warnings = [r for r in caplog.records if "clear text" in r.getMessage()]
    assert len(warnings) == 1 and "insecure-once.example" in warnings[0].getMessage()
    assert KEY not in caplog.text


def test_the_settings_and_headers_never_show_the_key() -> None:
    client = genai_async.Client(api_key=KEY)
    settings = client._settings
    assert KEY not in repr(settings) and KEY not in repr({"k": settings.api_key})
    assert KEY.encode() not in pickle.dumps(settings.api_key)
    assert settings.api_key == KEY  # still the key where it is used


@pytest.mark.parametrize(("host", "warns"), [("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True)])
async def test_the_emulator_warns_when_bound_beyond_loopback(
    host: str, warns: bool, caplog: pytest.LogCaptureFixture
) -> None:
    from genai_async.emulator import running

    with caplog.at_level(logging.WARNING, logger="genai_async.emulator"):
        async with running(host=host):
            pass
    assert any("reachable from other machines" in r.getMessage() for r in caplog.records) is warns
