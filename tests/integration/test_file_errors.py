"""A path that is missing or a directory is the same ConfigurationError, with the same words, wherever
a path is accepted (contents of generate/stream/count/embed/chat, files.upload), before any request."""

from __future__ import annotations

import errno
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted

MODEL = "gemini-3.5-flash"


async def _generate(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.models.generate_content(model=MODEL, contents=["look", path])


async def _stream(client: genai_async.Client, path: pathlib.Path) -> Any:
    async with client.models.generate_content_stream(model=MODEL, contents=["look", path]) as s:
        return [c async for c in s]


async def _count(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.models.count_tokens(model=MODEL, contents=[path])


async def _embed(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.models.embed_content(model="gemini-embedding-001", contents=path)


async def _chat(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.chats.create(model=MODEL).send_message(["look", path])


async def _chat_stream(client: genai_async.Client, path: pathlib.Path) -> Any:
    chat = client.chats.create(model=MODEL)
    async with chat.send_message_stream(["look", path]) as s:
        return [c async for c in s]


async def _upload_path(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.files.upload(file=path)


async def _upload_str(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.files.upload(file=str(path))


async def _cache(client: genai_async.Client, path: pathlib.Path) -> Any:
    return await client.caches.create(model=MODEL, config={"contents": [path]})


CALLS: list[Callable[[genai_async.Client, pathlib.Path], Awaitable[Any]]] = [
    _generate,
    _stream,
    _count,
    _embed,
    _chat,
    _chat_stream,
    _cache,
    _upload_path,
    _upload_str,
]


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", ["missing.png", "missing.unknownext", "missing"])
async def test_missing_file_is_one_clear_error(
    server: Scripted, client: genai_async.Client, tmp_path: pathlib.Path, call: Any, name: str
) -> None:
    path = tmp_path / name
    with pytest.raises(errors.ConfigurationError, match=r"cannot read the file .*: no such file") as info:
        await call(client, path)
    assert str(path) in str(info.value)
    if call is _cache:
        assert "config.contents[0]" in str(info.value)
    assert isinstance(info.value.__cause__, FileNotFoundError)
    assert server.requests == []


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", ["photos", "photos.png"])
async def test_directory_is_one_clear_error(
    server: Scripted, client: genai_async.Client, tmp_path: pathlib.Path, call: Any, name: str
) -> None:
    path = tmp_path / name
    path.mkdir()
    with pytest.raises(errors.ConfigurationError, match=r"cannot read the file .*: it is a directory") as info:
        await call(client, path)
    assert isinstance(info.value.__cause__, IsADirectoryError)
    assert info.value.__cause__.errno == errno.EISDIR
    assert server.requests == []


async def test_unreadable_file_names_the_reason(
    server: Scripted, client: genai_async.Client, tmp_path: pathlib.Path
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "secret.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    path.chmod(0)
    for call in (_generate, _upload_path):
        with pytest.raises(errors.ConfigurationError, match="cannot read the file .*: Permission denied"):
            await call(client, path)
    assert server.requests == []
