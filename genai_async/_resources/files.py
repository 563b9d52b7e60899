"""``client.files``: the Files API (gemini-rest.md §9), shaped like the official SDK's ``AsyncFiles``.

``upload`` drives Google's resumable protocol; chunking, sources and resume live in ``_upload.py``.
The other methods are one JSON exchange each through ``Client._call``; ``list`` returns a
:class:`~genai_async._pager.Pager` (not a coroutine: the pager is itself awaitable).

Names: ``"files/abc"``, ``"abc"``, a :class:`~genai_async.types.File` or a file URI all name the
same file; the id must match ``[a-z0-9-]{1,40}`` and is checked before any request.
``wait_until_active`` polls ``get`` under one anyio deadline. A file that ends ``FAILED`` raises a
ClientError (400, ``FAILED_PRECONDITION``) carrying the file's own error message, since errors.py
has no dedicated class for it.

Left out: ``register_files`` (needs OAuth), ``download(destination=...)`` (``download`` returns the
bytes; writing to disk piece by piece with ``Response.read_chunk`` would be the way), Vertex AI.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import AsyncIterable, Awaitable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias
from urllib.parse import urlsplit

import msgspec

from .. import errors
from .._coerce import http_options_only
from .._contents import check_file, guess_mime
from .._normalize import to_struct
from .._options import check_header_value, with_overrides
from .._pager import Pager, paged
from .._request import Request
from .._secrets import scrub
from ..types import File, FileSource, FileState, ListFilesConfig, ListFilesResponse, UploadFileConfig

if TYPE_CHECKING:
    from .._client import Client

_FILE_ID = re.compile(r"[a-z0-9-]{1,40}")


class AsyncReadable(Protocol):
    """An async binary stream: ``anyio.AsyncFile``, ``asyncio.StreamReader``, aiofiles objects."""

    def read(self, size: int = ..., /) -> Awaitable[bytes]: ...


class SyncReadable(Protocol):
    """A binary file object opened with ``"rb"``, ``io.BytesIO``..."""

    def read(self, size: int = ..., /) -> bytes: ...


UploadInput: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | SyncReadable | AsyncReadable | AsyncIterable[bytes]"
)
"""What ``client.files.upload(file=...)`` accepts."""


def file_path(value: object, what: str = "name") -> str:
    """``"files/abc"``, ``"abc"``, a File or a file URI -> ``"files/abc"``; a bad id is a ConfigurationError."""
    name = value.name if isinstance(value, File) else value
    file_id = None
    if isinstance(name, str):
        file_id = name.strip()
        if file_id.startswith(("https://", "http://")):
            file_id = urlsplit(file_id).path.rpartition("files/")[2].removesuffix(":download")
        file_id = file_id.removeprefix("files/")
    if file_id is None or not _FILE_ID.fullmatch(file_id):
        raise errors.ConfigurationError(
            f"{what}={name!r} is not a file name; pass 'files/<id>' or '<id>' where the id is 1-40 "
            "characters of a-z, 0-9 and '-' (e.g. 'files/8k2mfq0xr1ab')"
        )
    return f"files/{file_id}"


def _mime_of(file: object, cfg: UploadFileConfig) -> str:
    if cfg.mime_type:
        return check_header_value(cfg.mime_type, "config.mime_type")  # sent as a header of the upload
    name = file if isinstance(file, (str, os.PathLike)) else getattr(file, "name", None)
    mime = guess_mime(name) if isinstance(name, (str, os.PathLike)) else None
    if mime is None:
        what = f"{os.fspath(name)!r}" if isinstance(name, (str, os.PathLike)) else f"this {type(file).__name__}"
        raise errors.ConfigurationError(
            f"cannot tell the MIME type of {what}; pass it, e.g. config={{'mime_type': 'application/pdf'}}"
        )
    return mime


def _label(file: object) -> str:
    if isinstance(file, (str, os.PathLike)):
        return repr(os.fspath(file))
    if isinstance(file, (bytes, bytearray, memoryview)):
        return f"{len(file)} bytes"
    return f"a {type(file).__name__}"


class Files:
    """Files API methods; reached as ``client.files`` (or ``client.aio.files``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def upload(self, *, file: UploadInput, config: UploadFileConfig | dict[str, Any] | None = None) -> File:
        """Upload a file with the resumable protocol and return it (usually ``PROCESSING`` at first).

        ``file`` is a path, bytes, a binary file object (read from its current position) or an async
        binary stream (``read(n)`` coroutine or async iterator of bytes). The MIME type comes from
        ``config.mime_type``, else from the file name. Large files are sent in 8 MiB chunks read
        off the event loop, and a chunk lost to the network resumes where the server stopped.
        Use ``wait_until_active`` before putting a video or large document in a prompt.
        """
        cfg = to_struct(config, UploadFileConfig, "config") or UploadFileConfig()
        if isinstance(file, (str, os.PathLike)):  # a missing file or a directory says so, not "no MIME type"
            import anyio.to_thread

            await anyio.to_thread.run_sync(check_file, file, "file")
        mime = _mime_of(file, cfg)
        meta = File(name=file_path(cfg.name, "config.name") if cfg.name else None, display_name=cfg.display_name)
        settings = with_overrides(self._client._settings, cfg.http_options)
        label = _label(file)
        from . import _upload  # imported on first upload: keeps `import genai_async` light
        from ._sources import open_source

        source = await open_source(file, label)
        try:
            return await _upload.upload(self._client, settings, source, mime_type=mime, meta=meta, label=label)
        except errors.GenAIError as exc:  # its messages quote upload headers: a server may echo the key
            scrub(exc, settings.api_key)
            traceback.clear_frames(exc.__traceback__)  # (and the locals of the frames it came through)
            raise
        finally:
            await source.aclose()

    async def get(self, *, name: str, config: Any = None) -> File:
        """Fetch a file's metadata (``GET files/{id}``); ``name`` is ``"files/abc"`` or ``"abc"``."""
        path = file_path(name)
        return await self._client._call("GET", path, File, http_options=http_options_only(config, "config"))

    async def delete(self, *, name: str, config: Any = None) -> None:
        """Delete a file (``DELETE files/{id}``); the service answers with an empty body."""
        path = file_path(name)
        await self._client._call("DELETE", path, dict, http_options=http_options_only(config, "config"))

    async def download(self, *, file: str | File, config: Any = None) -> bytes:
        """Return the content of a generated file (``GET files/{id}:download?alt=media``).

        Only generated files (those with ``download_uri``) can be downloaded: for an uploaded one
        the service answers 400 (ClientError); a File known to be ``UPLOADED`` fails before any request.
        """
        if isinstance(file, File) and file.source == FileSource.UPLOADED:
            raise errors.ConfigurationError(
                f"{file.name} was uploaded, and uploaded files cannot be downloaded; only generated "
                "files (with a download_uri) can"
            )
        path = f"{file_path(file, 'file')}:download"
        settings = with_overrides(self._client._settings, http_options_only(config, "config"))
        resp = await self._client._send(Request("GET", path, endpoint=path, settings=settings, params={"alt": "media"}))
        try:
            return await resp.read()
        except BaseException:
            resp.close()
            raise

    async def wait_until_active(
        self,
        *,
        name_or_file: str | File,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
    ) -> File:
        """Poll ``get`` until the file is ``ACTIVE`` and return it.

        Raises ClientError (400 ``FAILED_PRECONDITION``, the file's error message included) if
        processing ``FAILED``, and ``errors.TimeoutError`` (``limit="total"``) after ``timeout``
        seconds. Cancelling the caller stops the polling at once.
        """
        path = file_path(name_or_file, "name_or_file")
        for value, what in ((timeout, "timeout"), (poll_interval, "poll_interval")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise errors.ConfigurationError(f"{what} must be a number of seconds >= 0, got {value!r}")
        state: object = None
        import anyio

        with anyio.move_on_after(timeout):
            while True:
                file = await self.get(name=path)
                state = file.state
                if state == FileState.ACTIVE:
                    return file
                if state == FileState.FAILED:
                    raise _failed(path, file)
                await anyio.sleep(poll_interval)
        raise errors.TimeoutError(
            f"file {path} is not ACTIVE after {timeout}s (last state {state}); raise timeout= for long videos",
            limit="total",
            seconds=timeout,
        )

    def list(self, *, config: ListFilesConfig | dict[str, Any] | None = None) -> Pager[File]:
        """List the project's files: ``async for f in client.files.list()`` (awaiting it works too).

        ``config.page_size`` (the service's default is 10, max 100) and ``config.page_token`` (where
        to start) apply; later pages follow ``nextPageToken``.
        """
        return paged(
            self._client,
            "files",
            ListFilesResponse,
            lambda page: page.files,
            config=config,
            config_type=ListFilesConfig,
            name="files.list",
        )


def _failed(path: str, file: File) -> errors.APIError:
    message = (file.error.message if file.error else None) or "no reason given"
    details = [msgspec.to_builtins(file.error)] if file.error else None
    return errors.error_class(400)(
        400, "FAILED_PRECONDITION", f"file {path} failed processing: {message}", details, endpoint=path
    )
