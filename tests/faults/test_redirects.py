"""Redirects are never followed: the API key never reaches another host (issue 15, item 1).

Two real servers: the "configured" one on 127.0.0.1 answers every request with a 3xx pointing at
the same path on a second server on 127.0.0.2, which records every request it gets. For each
redirect status and each kind of call (unary POST, stream, GET, resumable upload start and chunk,
file download) the call must fail with an ``APIError`` naming the status and the Location host,
the key must appear nowhere in it, and the second server must never have been contacted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors

from .conftest import MODEL, served

KEY = "AIzaSy-redirect-secret-0123456789"
STATUSES = (301, 302, 303, 307, 308)


class _Server:
    """An aiohttp.web server on ``host``; ``answer(request)`` builds each reply, ``seen`` records headers."""

    def __init__(self, host: str, answer: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> None:
        self.host = host
        self.answer = answer
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.seen.append((request.method, request.path_qs, dict(request.headers)))
        return await self.answer(request)

    async def __aenter__(self) -> _Server:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.base_url = f"http://{self.host}:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def _ok(request: web.Request) -> web.StreamResponse:
    """What the second server would answer: a plausible success (never reached in these tests)."""
    return web.json_response({"candidates": [], "name": "files/x"})


@contextlib.asynccontextmanager
async def _pair(status: int, *, upload_url: bool = False) -> AsyncIterator[tuple[_Server, _Server]]:
    async with served(_Server("127.0.0.2", _ok)) as other:

        async def redirect(request: web.Request) -> web.StreamResponse:
            if upload_url and request.headers.get("X-Goog-Upload-Command") == "start":
                return web.Response(
                    headers={
                        "X-Goog-Upload-URL": f"{first.base_url}/upload/session-1",
                        "X-Goog-Upload-Status": "active",
                    }
                )
            return web.Response(status=status, headers={"Location": f"{other.base_url}{request.path_qs}"})

        async with served(_Server("127.0.0.1", redirect)) as first:
            yield first, other


async def _unary(client: genai_async.Client) -> Any:
    return await client.models.generate_content(model=MODEL, contents="hi")


async def _stream(client: genai_async.Client) -> Any:
    async for _ in await client.models.generate_content_stream(model=MODEL, contents="hi"):
        pass


async def _get(client: genai_async.Client) -> Any:
    return await client.files.get(name="files/abc")


async def _upload(client: genai_async.Client) -> Any:
    return await client.files.upload(file=b"hello", config={"mime_type": "text/plain"})


async def _download(client: genai_async.Client) -> Any:
    return await client.files.download(file="files/abc")


CALLS = {"unary": _unary, "stream": _stream, "get": _get, "upload": _upload, "download": _download}


def _assert_no_key(exc: BaseException) -> None:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        for text in (repr(e), str(e), repr(e.args), repr(vars(e))):
            assert KEY not in text
        todo += [e.__cause__, e.__context__]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("kind", sorted(CALLS))
async def test_a_redirect_is_an_error_and_the_key_stays_home(status: int, kind: str) -> None:
    async with _pair(status) as (first, other):
        async with genai_async.Client(api_key=KEY, base_url=first.base_url, retry=False) as client:
            with pytest.raises(errors.APIError) as info:
                await CALLS[kind](client)
        assert first.seen and first.seen[0][2]["x-goog-api-key"] == KEY  # the configured host got the key
        assert other.seen == []  # the other host was never contacted
    exc = info.value
    assert type(exc) is errors.APIError and exc.code == status
    assert f"HTTP {status}" in str(exc) and "'127.0.0.2'" in str(exc) and "redirect" in str(exc)
    assert "location" not in {k.lower() for k in exc.headers}
    _assert_no_key(exc)


@pytest.mark.parametrize("status", STATUSES)
async def test_a_redirected_upload_chunk_is_an_error_and_the_key_stays_home(status: int) -> None:
    async with _pair(status, upload_url=True) as (first, other):
        async with genai_async.Client(api_key=KEY, base_url=first.base_url, retry=False) as client:
            with pytest.raises(errors.APIError) as info:
                await _upload(client)
        commands = [headers.get("X-Goog-Upload-Command") for _, _, headers in first.seen]
        assert commands == ["start", "upload, finalize"]  # a 3xx is not a transient failure: no query
        assert other.seen == []
    assert info.value.code == status and "'127.0.0.2'" in str(info.value)
    _assert_no_key(info.value)


async def test_a_redirect_with_a_secret_in_its_location_does_not_repeat_it() -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "https://evil.example/x?key=other-secret"})

    async with served(_Server("127.0.0.1", answer)) as first:
        async with genai_async.Client(api_key=KEY, base_url=first.base_url, retry=False) as client:
            with pytest.raises(errors.APIError) as info:
                await _unary(client)
    assert "'evil.example'" in str(info.value)
    assert "other-secret" not in repr(info.value) + json.dumps(info.value.headers)
