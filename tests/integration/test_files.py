"""client.files over a real socket: the resumable upload on the wire, resume, and the JSON methods."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import threading
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async._resources import _sources, _upload
from tests.conftest import Scripted, fixture_json

KEY = "test-key-123"
FOREIGN_UPLOAD_URL = "https://uploads.example.com/upload/v1beta/files?upload_id=u-42&upload_protocol=resumable"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks so a few KB make several chunks; no backoff sleeps."""
    monkeypatch.setattr(_upload, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(_sources, "IN_MEMORY_LIMIT", 4096)
    monkeypatch.setattr(_upload, "RETRY_DELAY", 0.0)


async def serve(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def payload(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def in_use(client: genai_async.Client) -> int:
    """Connections checked out of the pool (a leak shows here; idle keep-alive ones do not)."""
    session = client._transport._session
    return 0 if session is None or session.connector is None else len(session.connector._acquired)


def error_body(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class FakeUploads:
    """The resumable protocol with in-memory state and scripted faults, keyed by chunk request number.

    Faults: ``("abort", n)`` keeps the first n bytes of the chunk, then drops the connection without
    a reply; ``("status", code)`` keeps nothing and answers ``code``; ``"lost-final"`` finalizes,
    then drops the connection; ``"no-status"`` keeps nothing and answers 200 without the status header.
    """

    def __init__(self, *, granularity: int = 1024, upload_url: str | None = FOREIGN_UPLOAD_URL) -> None:
        self.granularity, self.upload_url = granularity, upload_url
        self.received = bytearray()
        self.finalized = False
        self.final_status = "final"
        self.start_reply: tuple[int, dict[str, Any]] | None = None
        self.faults: dict[int, Any] = {}
        self.chunks = 0
        self.declared: int | None = None
        self.file: dict[str, Any] = {}
        self.query_body = True

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if "upload_id" not in request.query:
            return self.start(request, await request.json())
        command = request.headers["X-Goog-Upload-Command"]
        if command == "query":
            return self.query()
        return await self.chunk(request, command)

    def start(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        if self.start_reply is not None:
            status, payload_ = self.start_reply
            return web.json_response(payload_, status=status, headers={"x-goog-upload-status": "final"})
        self.declared = int(request.headers["X-Goog-Upload-Header-Content-Length"])
        meta = body.get("file", {})
        self.file = {
            "name": meta.get("name", "files/up1"),
            "mimeType": request.headers["X-Goog-Upload-Header-Content-Type"],
            "state": "PROCESSING",
            "source": "UPLOADED",
        }
        if "displayName" in meta:
            self.file["displayName"] = meta["displayName"]
        headers = {"x-goog-upload-status": "active", "x-goog-upload-chunk-granularity": str(self.granularity)}
        if self.upload_url:
            headers["x-goog-upload-url"] = self.upload_url
        return web.Response(body=b"", headers=headers)

    def query(self) -> web.StreamResponse:
        headers = {
            "x-goog-upload-status": "final" if self.finalized else "active",
            "x-goog-upload-size-received": str(len(self.received)),
        }
        body = json.dumps({"file": self.final_file()}) if self.finalized and self.query_body else ""
        return web.Response(text=body, headers=headers, content_type="application/json")

    def final_file(self) -> dict[str, Any]:
        return {**self.file, "sizeBytes": str(len(self.received))}

    async def chunk(self, request: web.Request, command: str) -> web.StreamResponse:
        data = await request.read()
        offset = int(request.headers["X-Goog-Upload-Offset"])
        assert int(request.headers["Content-Length"]) == len(data)
        fault = self.faults.get(self.chunks)
        self.chunks += 1
        if offset != len(self.received):
            return web.json_response(error_body(400, "INVALID_ARGUMENT", "bad offset"), status=400)
        if isinstance(fault, tuple) and fault[0] == "abort":
            self.received += data[: fault[1]]
            return self.drop(request)
        if isinstance(fault, tuple) and fault[0] == "status":
            body = error_body(fault[1], "UNAVAILABLE" if fault[1] >= 500 else "INVALID_ARGUMENT", "scripted")
            return web.json_response(body, status=fault[1])
        if fault == "no-status":
            return web.Response(body=b"")
        self.received += data
        if command == "upload":
            return web.Response(body=b"", headers={"x-goog-upload-status": "active"})
        assert command == "upload, finalize"
        assert self.declared == len(self.received)
        self.finalized = True
        if fault == "lost-final":
            return self.drop(request)
        headers = {"x-goog-upload-status": self.final_status}
        return web.json_response({"file": self.final_file()}, headers=headers)

    @staticmethod
    def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()


def chunk_log(server: Scripted) -> list[tuple[str, str | None, int]]:
    """(command, offset, body length) of every request sent to the upload URL."""
    return [
        (r["headers"]["X-Goog-Upload-Command"], r["headers"].get("X-Goog-Upload-Offset"), len(r["body"]))
        for r in server.requests
        if "upload_id" in r["query"]
    ]


def assert_no_key_in_urls(server: Scripted) -> None:
    for r in server.requests:
        assert KEY not in r["url"] and "key" not in r["query"]


# ------------------------------------------------------------------------------------------------ upload


async def test_upload_path_in_chunks_wire_format(server: Scripted, client: genai_async.Client, tmp_path: Path) -> None:
    fake = FakeUploads()
    server.handler = fake
    data = payload(10_000)
    path = write_file(tmp_path / "report.pdf", data)

    f = await client.files.upload(file=path, config={"display_name": "Q3 report", "name": "my-report"})

    assert isinstance(f, types.File)
    assert f.name == "files/my-report" and f.display_name == "Q3 report"
    assert f.mime_type == "application/pdf" and f.size_bytes == 10_000 and f.state == types.FileState.PROCESSING
    start, *chunks = server.requests
    assert start["method"] == "POST" and start["path"] == "/upload/v1beta/files" and start["query"] == {}
    h = start["headers"]
    assert h["X-Goog-Upload-Protocol"] == "resumable" and h["X-Goog-Upload-Command"] == "start"
    assert h["X-Goog-Upload-Header-Content-Length"] == "10000"
    assert h["X-Goog-Upload-Header-Content-Type"] == "application/pdf"
    assert h["Content-Type"] == "application/json" and h["x-goog-api-key"] == KEY
    assert start["json"] == {"file": {"name": "files/my-report", "displayName": "Q3 report"}}
    assert chunk_log(server) == [("upload", "0", 4096), ("upload", "4096", 4096), ("upload, finalize", "8192", 1808)]
    port = server.base_url.rsplit(":", 1)[1]
    for c in chunks:  # re-pointed from uploads.example.com (https) to the test server, path and query kept
        assert c["method"] == "POST" and c["path"] == "/upload/v1beta/files"
        assert c["query"] == {"upload_id": "u-42", "upload_protocol": "resumable"}
        assert c["headers"]["Host"] == f"127.0.0.1:{port}" and c["url"].startswith("http://127.0.0.1:")
        assert c["headers"]["Content-Length"] == str(len(c["body"]))
    assert b"".join(c["body"] for c in chunks) == data == fake.received
    assert_no_key_in_urls(server)
    assert in_use(client) == 0


async def test_chunks_are_a_multiple_of_the_granularity(server: Scripted, client: genai_async.Client) -> None:
    server.handler = FakeUploads(granularity=3000)  # 4096 rounds down to 3000
    await client.files.upload(file=payload(7000), config={"mime_type": "text/plain"})
    assert chunk_log(server) == [("upload", "0", 3000), ("upload", "3000", 3000), ("upload, finalize", "6000", 1000)]


async def test_upload_bytes_camel_config(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    server.handler = fake
    f = await client.files.upload(file=bytearray(b"hello"), config={"mimeType": "text/plain", "displayName": "hi"})
    assert f.name == "files/up1" and f.mime_type == "text/plain" and f.display_name == "hi"
    assert server.requests[0]["json"] == {"file": {"displayName": "hi"}}
    assert chunk_log(server) == [("upload, finalize", "0", 5)]
    assert fake.received == b"hello"


async def test_upload_empty_file_sends_one_empty_finalize(server: Scripted, client: genai_async.Client) -> None:
    server.handler = FakeUploads()
    f = await client.files.upload(file=b"", config=types.UploadFileConfig(mime_type="text/plain"))
    assert f.size_bytes == 0
    assert server.requests[0]["headers"]["X-Goog-Upload-Header-Content-Length"] == "0"
    assert server.requests[0]["json"] == {"file": {}}
    assert chunk_log(server) == [("upload, finalize", "0", 0)]


async def test_upload_sync_file_object_from_its_position(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    server.handler = fake
    data = payload(9000)
    fh = io.BytesIO(data)
    fh.seek(100)
    await client.files.upload(file=fh, config={"mime_type": "application/octet-stream"})
    assert fake.received == data[100:]
    assert server.requests[0]["headers"]["X-Goog-Upload-Header-Content-Length"] == "8900"
    assert not fh.closed


async def test_file_reads_happen_off_the_event_loop_thread(server: Scripted, client: genai_async.Client) -> None:
    server.handler = FakeUploads()
    loop_thread, seen = threading.get_ident(), set()

    class Spy(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            seen.add(threading.get_ident())
            return super().read(size)

        def seek(self, pos: int, whence: int = 0) -> int:
            seen.add(threading.get_ident())
            return super().seek(pos, whence)

    await client.files.upload(file=Spy(payload(10_000)), config={"mime_type": "text/plain"})
    assert seen and loop_thread not in seen


async def test_upload_http_options_apply_to_every_request(server: Scripted, client: genai_async.Client) -> None:
    server.handler = FakeUploads()
    cfg = {"mime_type": "text/plain", "http_options": {"headers": {"X-Trace": "t1"}, "api_version": "v1alpha"}}
    await client.files.upload(file=payload(5000), config=cfg)
    assert server.requests[0]["path"] == "/upload/v1alpha/files"
    assert [r["headers"].get("X-Trace") for r in server.requests] == ["t1"] * 3


async def test_cancel_mid_upload_releases_everything(
    server: Scripted, client: genai_async.Client, tmp_path: Path
) -> None:
    fake = FakeUploads()
    stall = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("X-Goog-Upload-Offset") == "4096":
            await stall.wait()  # never set: the client gives up first
        return await fake(request)

    server.handler = handler
    with anyio.move_on_after(0.2) as scope:
        await client.files.upload(file=write_file(tmp_path / "a.txt", payload(10_000)))
    assert scope.cancelled_caught
    assert chunk_log(server)[-1] == ("upload", "4096", 4096)
    assert in_use(client) == 0


class Reader:
    """An async binary stream with ``read(n)`` (like asyncio.StreamReader), no size, no seek."""

    def __init__(self, data: bytes, step: int = 700) -> None:
        self._buf, self._step = io.BytesIO(data), step

    async def read(self, n: int = -1) -> bytes:
        return self._buf.read(min(n, self._step))


async def pieces(data: bytes, step: int = 999) -> AsyncIterator[bytes]:
    for i in range(0, len(data), step):
        yield data[i : i + step]


@pytest.mark.parametrize("size", [3000, 10_000], ids=["fits-one-chunk", "spooled"])
@pytest.mark.parametrize("kind", ["read", "iterator"])
async def test_upload_async_stream(server: Scripted, client: genai_async.Client, size: int, kind: str) -> None:
    fake = FakeUploads()
    server.handler = fake
    data = payload(size)
    stream: Any = Reader(data) if kind == "read" else pieces(data)
    f = await client.files.upload(file=stream, config={"mime_type": "video/mp4"})
    assert fake.received == data and f.size_bytes == size
    assert server.requests[0]["headers"]["X-Goog-Upload-Header-Content-Length"] == str(size)
    assert [c[2] for c in chunk_log(server)] == ([size] if size <= 4096 else [4096, 4096, size - 8192])


async def test_mime_type_guessed_from_the_name(server: Scripted, client: genai_async.Client, tmp_path: Path) -> None:
    server.handler = FakeUploads()
    await client.files.upload(file=str(write_file(tmp_path / "cat.png", b"\x89PNG")))
    assert server.requests[0]["headers"]["X-Goog-Upload-Header-Content-Type"] == "image/png"


@pytest.mark.parametrize("file", [b"data", io.BytesIO(b"data"), "notes.unknownext"])
async def test_missing_mime_type_fails_before_any_request(
    server: Scripted, client: genai_async.Client, file: Any, tmp_path: Any
) -> None:
    if isinstance(file, str):  # an existing file whose name says nothing (a missing one: test_file_errors.py)
        file = tmp_path / file
        file.write_bytes(b"data")
    with pytest.raises(errors.ConfigurationError, match="mime_type"):
        await client.files.upload(file=file)
    assert server.requests == []


@pytest.mark.parametrize(
    ("file", "config", "match"),
    [
        (io.StringIO("text"), {"mime_type": "text/plain"}, "binary mode"),
        (12345, {"mime_type": "text/plain"}, "cannot upload a int"),
        ("/nonexistent/x.pdf", None, "cannot read"),
        (b"x", {"mime_type": "text/plain", "name": "Bad_Name!"}, "not a file name"),
        (b"x", {"mime_type": "text/plain", "mime": "x"}, "unknown key"),
    ],
)
async def test_bad_upload_input_fails_before_any_request(
    server: Scripted, client: genai_async.Client, file: Any, config: Any, match: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        await client.files.upload(file=file, config=config)
    assert server.requests == []


# ---------------------------------------------------------------------------------------- upload: resume


async def test_resume_after_connection_drop_mid_chunk(
    server: Scripted, client: genai_async.Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeUploads()
    fake.faults = {1: ("abort", 1024)}  # the second chunk: the server keeps 1 KiB, then the connection drops
    server.handler = fake
    data = payload(10_000)
    with caplog.at_level(logging.INFO, logger="genai_async"):
        f = await client.files.upload(file=write_file(tmp_path / "v.mp4", data))
    assert f.size_bytes == 10_000
    assert fake.received == data
    assert chunk_log(server) == [
        ("upload", "0", 4096),
        ("upload", "4096", 4096),
        ("query", None, 0),
        ("upload", "5120", 3072),  # from the server's offset, back on the 4096 grid afterwards
        ("upload, finalize", "8192", 1808),
    ]
    assert [r.getMessage() for r in caplog.records if "resuming" in r.getMessage()]
    assert "u-42" not in caplog.text
    assert in_use(client) == 0


async def test_resume_after_503_does_not_restart(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {2: ("status", 503)}
    server.handler = fake
    data = payload(12_000)
    await client.files.upload(file=Reader(data), config={"mime_type": "audio/wav"})
    assert fake.received == data
    log = chunk_log(server)
    assert log[2:5] == [("upload, finalize", "8192", 3808), ("query", None, 0), ("upload, finalize", "8192", 3808)]
    assert [c for c in log if c[1] == "0"] == [("upload", "0", 4096)]


async def test_reply_without_status_is_retried(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {0: "no-status"}
    server.handler = fake
    await client.files.upload(file=payload(5000), config={"mime_type": "text/plain"})
    assert [c[0] for c in chunk_log(server)] == ["upload", "query", "upload", "upload, finalize"]
    assert fake.received == payload(5000)


async def test_lost_final_reply_is_recovered_from_query(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {0: "lost-final"}
    server.handler = fake
    f = await client.files.upload(file=b"abc", config={"mime_type": "text/plain"})
    assert f.name == "files/up1" and f.size_bytes == 3
    assert [c[0] for c in chunk_log(server)] == ["upload, finalize", "query"]


async def test_recovery_is_bounded(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {i: ("status", 503) for i in range(10)}
    server.handler = fake
    with pytest.raises(errors.ServerError) as info:
        await client.files.upload(file=payload(5000), config={"mime_type": "text/plain"})
    assert info.value.code == 503
    assert [c[0] for c in chunk_log(server)] == ["upload", "query"] * 3 + ["upload"]
    assert in_use(client) == 0


async def test_chunk_4xx_is_not_retried(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {1: ("status", 400)}
    server.handler = fake
    with pytest.raises(errors.ClientError) as info:
        await client.files.upload(file=payload(5000), config={"mime_type": "text/plain"})
    assert info.value.code == 400
    assert [c[0] for c in chunk_log(server)] == ["upload", "upload, finalize"]
    assert in_use(client) == 0


# ---------------------------------------------------------------------------------------- upload: errors


async def test_missing_upload_url(server: Scripted, client: genai_async.Client) -> None:
    server.handler = FakeUploads(upload_url=None)
    with pytest.raises(errors.StreamError, match="x-goog-upload-url"):
        await client.files.upload(file=b"abc", config={"mime_type": "text/plain"})
    assert len(server.requests) == 1
    assert in_use(client) == 0


async def test_finalize_without_final_status(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.final_status = "active"
    server.handler = fake
    with pytest.raises(errors.StreamError, match="instead of 'final'") as info:
        await client.files.upload(file=b"abc", config={"mime_type": "text/plain"})
    assert "u-42" not in str(info.value)  # the upload id authorises writes: never in messages
    assert in_use(client) == 0


async def test_lost_final_reply_without_file_in_query(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.faults = {0: "lost-final"}
    fake.query_body = False
    server.handler = fake
    with pytest.raises(errors.StreamError, match=r"finalized .* client.files.list\(\)"):
        await client.files.upload(file=b"abc", config={"mime_type": "text/plain"})
    assert in_use(client) == 0


async def test_start_400_unsupported_mime(server: Scripted, client: genai_async.Client) -> None:
    fake = FakeUploads()
    fake.start_reply = (400, error_body(400, "INVALID_ARGUMENT", "Unsupported MIME type: application/x-foo"))
    server.handler = fake
    with pytest.raises(errors.ClientError, match="Unsupported MIME type") as info:
        await client.files.upload(file=b"abc", config={"mime_type": "application/x-foo"})
    assert info.value.status == "INVALID_ARGUMENT"
    assert len(server.requests) == 1
    assert in_use(client) == 0


async def test_large_file_is_not_read_into_memory(
    monkeypatch: pytest.MonkeyPatch, client: genai_async.Client, tmp_path: Path
) -> None:
    """30 MiB in 2 MiB chunks: peak traced memory stays near one chunk (the server hashes as it reads)."""
    monkeypatch.setattr(_upload, "CHUNK_SIZE", 2 << 20)
    path, size = tmp_path / "big.bin", 30 << 20
    expected = write_blocks(path, size)
    digest = hashlib.sha256()

    async def handler(request: web.Request) -> web.StreamResponse:
        if "upload_id" not in request.query:
            return web.Response(
                headers={"x-goog-upload-url": FOREIGN_UPLOAD_URL, "x-goog-upload-chunk-granularity": str(256 << 10)}
            )
        async for block in request.content.iter_chunked(64 << 10):
            digest.update(block)
        if request.headers["X-Goog-Upload-Command"] == "upload":
            return web.Response(headers={"x-goog-upload-status": "active"})
        return web.json_response({"file": {"name": "files/big"}}, headers={"x-goog-upload-status": "final"})

    runner, base_url = await serve(handler)
    big = genai_async.Client(api_key=KEY, base_url=base_url)
    tracemalloc.start()
    try:
        f = await big.files.upload(file=path, config={"mime_type": "application/octet-stream"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await big.aclose()
        await runner.cleanup()
    assert f.name == "files/big" and digest.hexdigest() == expected
    assert peak < 4 << 20, f"peak {peak / 2**20:.1f} MiB for a 30 MiB file in 2 MiB chunks"


def write_blocks(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for i in range(size >> 20):
            block = hashlib.sha256(str(i).encode()).digest() * (1 << 15)
            digest.update(block)
            fh.write(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------- get, delete, download


@pytest.mark.parametrize(
    "name",
    ["files/8k2mfq0xr1ab", "8k2mfq0xr1ab", "https://generativelanguage.googleapis.com/v1beta/files/8k2mfq0xr1ab"],
)
async def test_get(server: Scripted, client: genai_async.Client, name: str) -> None:
    server.reply_json(fixture_json("file_get_active.json"))
    f = await client.files.get(name=name)
    assert f.name == "files/8k2mfq0xr1ab" and f.state == types.FileState.ACTIVE and f.size_bytes == 2621440
    req = server.requests[0]
    assert req["method"] == "GET" and req["path"] == "/v1beta/files/8k2mfq0xr1ab" and req["query"] == {}
    assert req["headers"]["x-goog-api-key"] == KEY


@pytest.mark.parametrize("name", ["files/UPPER", "", "files/", "a" * 41, "files/a/b", None])
async def test_bad_file_names_fail_before_any_request(server: Scripted, client: genai_async.Client, name: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="not a file name"):
        await client.files.get(name=name)
    with pytest.raises(errors.ConfigurationError, match="not a file name"):
        await client.files.delete(name=name)
    assert server.requests == []


async def test_get_404_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(error_body(404, "NOT_FOUND", "File files/nope not found"), status=404)
    with pytest.raises(errors.ClientError, match="not found"):
        await client.files.get(name="nope")
    assert in_use(client) == 0


async def test_delete(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json({})
    await client.files.delete(name="abc")  # typed -> None
    assert server.requests[0]["method"] == "DELETE" and server.requests[0]["path"] == "/v1beta/files/abc"


async def test_download_generated_file(server: Scripted, client: genai_async.Client) -> None:
    blob = payload(5000)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=blob, content_type="video/mp4")

    server.handler = handler
    generated = types.File(name="files/gen1", source=types.FileSource.GENERATED, download_uri="https://x/files/gen1")
    assert await client.files.download(file=generated) == blob
    assert await client.files.download(file="files/gen1") == blob
    for req in server.requests:
        assert req["method"] == "GET" and req["path"] == "/v1beta/files/gen1:download"
        assert req["query"] == {"alt": "media"}


async def test_download_uploaded_file_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(error_body(400, "INVALID_ARGUMENT", "Only generated files can be downloaded."), status=400)
    with pytest.raises(errors.ClientError, match="Only generated files"):
        await client.files.download(file="files/up1")
    with pytest.raises(errors.ConfigurationError, match="uploaded"):
        await client.files.download(file=types.File(name="files/up1", source=types.FileSource.UPLOADED))
    assert len(server.requests) == 1
    assert in_use(client) == 0


# --------------------------------------------------------------------------------------------------- list


def list_pages(server: Scripted) -> None:
    pages = {
        None: (["files/a1", "files/a2"], "t2"),
        "t2": (["files/b1", "files/b2"], "t3"),
        "t3": (["files/c1"], ""),
    }

    async def handler(request: web.Request) -> web.StreamResponse:
        names, token = pages[request.query.get("pageToken")]
        return web.json_response({"files": [{"name": n, "state": "ACTIVE"} for n in names], "nextPageToken": token})

    server.handler = handler


async def test_list_awaited_then_iterated(server: Scripted, client: genai_async.Client) -> None:
    list_pages(server)
    pager = await client.files.list(config={"page_size": 2})
    assert [f.name for f in pager.page] == ["files/a1", "files/a2"]
    assert [f.name async for f in pager] == ["files/a1", "files/a2", "files/b1", "files/b2", "files/c1"]
    assert [r["query"] for r in server.requests] == [
        {"pageSize": "2"},
        {"pageSize": "2", "pageToken": "t2"},
        {"pageSize": "2", "pageToken": "t3"},
    ]
    assert all(r["method"] == "GET" and r["path"] == "/v1beta/files" for r in server.requests)


async def test_list_iterated_directly_from_a_token(server: Scripted, client: genai_async.Client) -> None:
    list_pages(server)
    names = [f.name async for f in client.files.list(config=types.ListFilesConfig(page_token="t2"))]
    assert names == ["files/b1", "files/b2", "files/c1"]
    assert [r["query"] for r in server.requests] == [{"pageToken": "t2"}, {"pageToken": "t3"}]


async def test_list_single_fixture_page(server: Scripted, client: genai_async.Client) -> None:
    body = fixture_json("files_list.json")
    body["nextPageToken"] = ""
    server.reply_json(body)
    assert [f.name async for f in client.files.list()] == ["files/8k2mfq0xr1ab"]
    assert len(server.requests) == 1


def test_list_bad_config_fails_at_call() -> None:
    c = genai_async.Client(api_key=KEY)
    with pytest.raises(errors.ConfigurationError):
        c.files.list(config={"page_size": 0})
    with pytest.raises(errors.ConfigurationError, match="unknown key"):
        c.files.list(config={"pagesize": 2})


# ------------------------------------------------------------------------------------------ wait_until_active


def states(server: Scripted, *names: str) -> None:
    replies = [fixture_json(n) for n in names]

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(replies.pop(0) if len(replies) > 1 else replies[0])

    server.handler = handler


async def test_wait_until_active(server: Scripted, client: genai_async.Client) -> None:
    states(server, "file_get_processing.json", "file_get_processing.json", "file_get_active.json")
    uploaded = types.File(name="files/8k2mfq0xr1ab", state=types.FileState.PROCESSING)
    f = await client.files.wait_until_active(name_or_file=uploaded, poll_interval=0)
    assert f.state == types.FileState.ACTIVE
    assert [r["path"] for r in server.requests] == ["/v1beta/files/8k2mfq0xr1ab"] * 3


async def test_wait_until_active_failed(server: Scripted, client: genai_async.Client) -> None:
    states(server, "file_get_processing.json", "file_get_failed.json")
    with pytest.raises(errors.ClientError) as info:
        await client.files.wait_until_active(name_or_file="8k2mfq0xr1ab", poll_interval=0)
    assert "files/8k2mfq0xr1ab" in str(info.value) and "Unable to process the input file." in str(info.value)
    assert info.value.status == "FAILED_PRECONDITION"
    assert info.value.details == [{"code": 3, "message": "Unable to process the input file."}]


async def test_wait_until_active_timeout(server: Scripted, client: genai_async.Client) -> None:
    states(server, "file_get_processing.json")
    with pytest.raises(errors.TimeoutError) as info:
        await client.files.wait_until_active(name_or_file="files/8k2mfq0xr1ab", timeout=0.05, poll_interval=0.01)
    assert info.value.limit == "total" and info.value.seconds == 0.05
    assert "PROCESSING" in str(info.value)
    assert in_use(client) == 0
