"""Resumable uploads behind ``client.files.upload`` (gemini-rest.md §9.1).

Protocol. ``start`` (``POST {base}/upload/{v}/files``; size and MIME type in ``X-Goog-Upload-Header-*``;
body ``{"file": {...}}``) answers with an upload URL and a chunk granularity. Chunks follow as
``upload`` / ``upload, finalize`` with the offset they start at; the finalize reply says
``x-goog-upload-status: final`` and carries ``{"file": File}``. The upload URL's scheme and host are
replaced by the client's base URL, as both SDKs do, so an emulator or proxy sees every request. Its
``upload_id`` authorises writes, so the URL never appears in messages or logs.

Chunks are ``CHUNK_SIZE`` (8 MiB) rounded to a multiple of the granularity, on a fixed grid (offsets
``k * chunk``): a resume from an odd offset sends a short chunk up to the next grid line. One chunk
is in memory at a time, read in a worker thread and sent as slices (no copy).

Sources. Every input becomes random access. Bytes are sliced; paths and seekable binary files are
read with seek+read in a worker thread (files from their current position, like the SDK). Async
streams and non-seekable files have no size, which ``start`` needs: they are read ahead, kept in
memory if they end within one chunk, else spooled to an anonymous temporary file off the loop. So a
resume can go to any offset the server names; no "offset before the buffered chunk" case exists.

Resume. A chunk that fails in transit (ConnectionError, TimeoutError, a cut reply, 5xx, or a reply
without ``x-goog-upload-status``, which the SDKs retry) is followed by ``query``; its
``x-goog-upload-size-received`` says where to continue. At most ``MAX_RECOVERIES`` failures in a row
without progress, with doubling backoff from ``RETRY_DELAY``, each logged at INFO. The client's
generic retry is off for chunks: resending at a stale offset is wrong once the server kept part of
one. A query answering ``final`` means the finalize reply was lost: its body gives the File. 4xx
replies end the upload (APIError); broken protocol replies are StreamErrors.

Left out: parallel chunks, ``cancel`` on failure (sessions expire), progress callbacks, resuming in
another process (the upload URL is not exposed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import anyio
import anyio.to_thread
import msgspec

from .. import errors
from .._codec import decode, encode
from .._options import Settings, logger
from .._request import Request
from ..types import File
from ..types._requests import _FileEnvelope
from ._sources import Source

if TYPE_CHECKING:
    from .._client import Client


CHUNK_SIZE = 8 * 1024 * 1024
"""Preferred chunk size; also how much of an unsized stream is kept in memory before spooling."""
DEFAULT_GRANULARITY = 8 * 1024 * 1024
MAX_RECOVERIES = 3
RETRY_DELAY = 0.5
"""Seconds before the first ``query`` after a failure; doubles with each failure in a row."""
_PIECE = 1024 * 1024
_SLICE = 256 * 1024
_RECOVERABLE = (errors.ConnectionError, errors.TimeoutError, errors.StreamError, errors.ServerError)


# ------------------------------------------------------------------------------------------ protocol


def repoint(upload_url: str, base_url: str) -> str:
    """The upload URL with the scheme and host (and port) of ``base_url``, path and query kept."""
    base = urlsplit(base_url)
    url = urlsplit(urljoin(base_url + "/", upload_url))
    return url._replace(scheme=base.scheme, netloc=base.netloc).geturl()


def chunk_size(preferred: int, granularity: int) -> int:
    """``preferred`` rounded down to a multiple of ``granularity`` (at least one granule)."""
    return max(granularity, preferred - preferred % granularity)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


async def upload(client: Client, settings: Settings, source: Source, *, mime_type: str, meta: File, label: str) -> File:
    """Run one resumable upload of ``source`` and return the File from the final reply."""
    endpoint = f"upload/{settings.api_version}/files"
    headers = {
        "X-Goog-Upload-Protocol": "resumable",
        "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(source.size),
        "X-Goog-Upload-Header-Content-Type": mime_type,
    }
    body = encode(_FileEnvelope(file=meta))
    resp = await client._send(
        Request(
            "POST", f"{settings.base_url}/{endpoint}", endpoint=endpoint, settings=settings, body=body, headers=headers
        )
    )
    await resp.read()
    url = resp.headers.get("x-goog-upload-url")
    if not url:
        raise errors.StreamError(
            f"{endpoint}: the start reply has no x-goog-upload-url header, so {label} cannot be sent "
            "(a proxy may strip x-goog-* headers)"
        )
    granularity = _int_header(resp.headers, "x-goog-upload-chunk-granularity") or DEFAULT_GRANULARITY
    transfer = _Transfer(client, settings, repoint(url, settings.base_url), source, label, endpoint)
    return await transfer.run(chunk_size(CHUNK_SIZE, granularity))


class _Transfer:
    """The chunk loop of one upload session, with ``query``-based recovery."""

    def __init__(self, client: Client, settings: Settings, url: str, source: Source, label: str, endpoint: str) -> None:
        self._settings = dataclasses.replace(settings, retry=None)  # ``query`` is this protocol's retry
        self._client, self._url, self._source = client, url, source
        self._label, self._endpoint, self._failures = label, endpoint, 0

    async def run(self, chunk: int) -> File:
        size, offset = self._source.size, 0
        while True:
            end = min(size, offset - offset % chunk + chunk)
            last = end == size
            try:
                headers, body = await self._post("upload, finalize" if last else "upload", offset, end)
            except _RECOVERABLE as exc:
                resumed = await self._recover(exc, offset)
                if isinstance(resumed, File):
                    return resumed
                offset = resumed
                continue
            self._failures = 0
            if last:
                return self._final(headers, body)
            if (status := headers["x-goog-upload-status"]) != "active":
                raise errors.StreamError(f"{self._endpoint}: status {status!r} after chunk {offset}, not 'active'")
            received = _int_header(headers, "x-goog-upload-size-received")
            offset = received if received is not None and offset < received < end else end

    async def _post(self, command: str, offset: int = 0, end: int = -1) -> tuple[Mapping[str, str], bytes]:
        """Send ``command`` with the bytes [offset, end) (none for ``query``); the chunk lives only here."""
        headers, payload, where = {"X-Goog-Upload-Command": command}, None, self._endpoint
        if end >= 0:
            payload = _Body(await self._source.read(offset, end - offset))
            headers.update(
                {
                    "X-Goog-Upload-Offset": str(offset),
                    "Content-Length": str(end - offset),
                    "Content-Type": "application/octet-stream",
                }
            )
            where = f"{self._endpoint} ({command} at offset {offset})"
        resp = await self._client._send(
            Request("POST", self._url, endpoint=where, settings=self._settings, body=payload, headers=headers)
        )
        body = await resp.read()
        if "x-goog-upload-status" not in resp.headers:
            raise errors.StreamError(f"{where}: the reply has no x-goog-upload-status header")
        return resp.headers, body

    async def _recover(self, exc: errors.GenAIError, offset: int) -> int | File:
        """Ask the server how much it holds after a failed chunk; return the offset or the File."""
        while True:
            self._failures += 1
            if self._failures > MAX_RECOVERIES:
                raise exc
            await anyio.sleep(RETRY_DELAY * 2 ** (self._failures - 1))
            try:
                headers, body = await self._post("query")
            except _RECOVERABLE as again:
                exc = again
                continue
            return self._resume_point(headers, body, exc, offset)

    def _resume_point(self, headers: Mapping[str, str], body: bytes, exc: Exception, offset: int) -> int | File:
        status = headers.get("x-goog-upload-status")
        attempt = f"recovery {self._failures} of {MAX_RECOVERIES}"
        if status == "final":
            file = _file_from(body)
            if file is None:
                raise errors.StreamError(
                    f"{self._endpoint}: {self._label} was finalized but the reply was lost and the query "
                    "reply holds no file; find it with client.files.list()"
                ) from exc
            logger.info("upload of %s: %s; the server had finalized it (%s)", self._label, exc, attempt)
            return file
        received = _int_header(headers, "x-goog-upload-size-received")
        if status != "active" or received is None or received > self._source.size:
            raise errors.StreamError(
                f"{self._endpoint}: cannot resume {self._label} after {type(exc).__name__} at offset {offset}: "
                f"query answered status {status!r}, size received {headers.get('x-goog-upload-size-received')!r}"
            ) from exc
        if received > offset:
            self._failures = 0
        logger.info(
            "upload of %s: %s at offset %d; the server holds %d of %d bytes, resuming there (%s)",
            self._label,
            exc,
            offset,
            received,
            self._source.size,
            attempt,
        )
        return received

    def _final(self, headers: Mapping[str, str], body: bytes) -> File:
        status = headers.get("x-goog-upload-status")
        if status != "final":
            raise errors.StreamError(
                f"{self._endpoint}: the server answered upload status {status!r} instead of 'final' to "
                f"'upload, finalize' of {self._label}; the upload failed"
            )
        file = _file_from(body)
        if file is None:
            raise errors.StreamError(f"{self._endpoint}: the final reply for {self._label} holds no file")
        return file


class _Body:
    """A chunk as an async iterable of slices, sent with the explicit Content-Length: no copy (a
    BytesIO body is copied) and no ResourceWarning (aiohttp's for raw bytes over 1 MiB). A class, not a
    generator, so a send cut half-way leaves no generator to finalize."""

    def __init__(self, data: bytes) -> None:
        self._view, self._pos = memoryview(data), 0

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> memoryview:
        if self._pos >= len(self._view):
            raise StopAsyncIteration
        self._pos += _SLICE
        return self._view[self._pos - _SLICE : self._pos]


def _file_from(body: bytes) -> File | None:
    try:
        file = decode(body, _FileEnvelope).file if body.strip() else None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return file if file is not None and file.name else None
