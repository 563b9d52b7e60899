"""Upload sources: every input of ``files.upload`` becomes random access with a known size.

Bytes are sliced; paths and seekable binary files are read with seek+read in a worker thread (files
from their current position, like the official SDK). Async streams and non-seekable files have no
size, which the upload's ``start`` needs: they are read ahead, kept in memory when they end within
one chunk, else spooled to an anonymous temporary file off the event loop. So a resume can go to
any offset the server names.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import stat
import tempfile
from collections.abc import AsyncGenerator
from typing import Any

import anyio
import anyio.to_thread

from .. import errors
from .._contents import file_error

_PIECE = 1024 * 1024
IN_MEMORY_LIMIT = 8 * 1024 * 1024
"""A stream of unknown size that ends within this many bytes stays in memory; a longer one is spooled."""


class Source:
    """Random access to the bytes being uploaded; ``size`` is known before the upload starts."""

    size: int = 0

    async def read(self, offset: int, n: int) -> bytes:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release what the source owns (a file it opened); a user's file object stays open."""


class _Memory(Source):
    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = len(self._view)

    async def read(self, offset: int, n: int) -> bytes:
        return bytes(self._view[offset : offset + n])


class _FileSource(Source):
    def __init__(self, fh: Any, start: int, size: int, *, owned: bool, label: str) -> None:
        self._fh, self._start, self.size, self._owned, self._label = fh, start, size, owned, label

    async def read(self, offset: int, n: int) -> bytes:
        return await anyio.to_thread.run_sync(self._read_sync, offset, n)

    def _read_sync(self, offset: int, n: int) -> bytes:
        self._fh.seek(self._start + offset)
        data = _binary(self._fh.read(n))
        while len(data) < n:  # raw (unbuffered) files may return short reads
            more = _binary(self._fh.read(n - len(data)))
            if not more:
                raise errors.GenAIError(
                    f"{self._label} shrank while it was uploaded: {n} bytes expected at offset {offset}, "
                    f"{len(data)} found"
                )
            data += more
        return data

    async def aclose(self) -> None:
        if self._owned:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._fh.close)


def _binary(data: object) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise errors.ConfigurationError(f"the file gave {type(data).__name__}, not bytes; open it in binary mode ('rb')")


async def open_source(file: object, label: str) -> Source:
    """Make ``file`` (path, bytes, sync or async binary stream) a :class:`Source`, off the event loop."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return _Memory(file)
    if isinstance(file, (str, os.PathLike)):
        return await _open_path(os.fspath(file), label)
    read = getattr(file, "read", None)
    if inspect.iscoroutinefunction(read) or hasattr(file, "__aiter__"):
        return await _spool(_async_pieces(file), label)
    if callable(read):
        mode = getattr(file, "mode", "b")
        if isinstance(file, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
            raise errors.ConfigurationError(f"{label} is open in text mode; open it in binary mode ('rb')")
        extent = await anyio.to_thread.run_sync(_extent, file)
        if extent is None:
            return await _spool(_sync_pieces(file), label)
        return _FileSource(file, *extent, owned=False, label=label)
    what = type(file).__name__
    raise errors.ConfigurationError(f"cannot upload a {what}; pass a path, bytes, a binary file or an async stream")


async def _open_path(path: str | bytes, label: str) -> Source:
    try:
        fh = await anyio.to_thread.run_sync(open, path, "rb")
    except OSError as exc:
        raise file_error(os.fsdecode(path), exc, "file") from exc
    source = _FileSource(fh, 0, 0, owned=True, label=label)
    try:
        st = await anyio.to_thread.run_sync(os.fstat, fh.fileno())
        if stat.S_ISREG(st.st_mode):
            source.size = st.st_size
            return source
        spooled = await _spool(_sync_pieces(fh), label)  # a FIFO or a device: its size is unknown
    except BaseException:
        await source.aclose()
        raise
    await source.aclose()
    return spooled


def _extent(fh: Any) -> tuple[int, int] | None:
    """(start, size) of a seekable file from its current position, or None when it cannot seek."""
    try:
        if hasattr(fh, "seekable") and not fh.seekable():
            return None
        start = fh.tell()
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        fh.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return start, end - start


async def _async_pieces(stream: Any) -> AsyncGenerator[bytes, None]:
    if inspect.iscoroutinefunction(getattr(stream, "read", None)):
        while piece := _binary(await stream.read(_PIECE)):
            yield piece
    else:
        async for piece in stream:
            yield _binary(piece)


async def _sync_pieces(fh: Any) -> AsyncGenerator[bytes, None]:
    while piece := _binary(await anyio.to_thread.run_sync(fh.read, _PIECE)):
        yield piece


async def _spool(pieces: AsyncGenerator[bytes, None], label: str) -> Source:
    """Read a stream of unknown size: into memory if it ends within a chunk, else a temporary file."""
    limit, head = IN_MEMORY_LIMIT, bytearray()
    async with contextlib.aclosing(pieces):
        async for piece in pieces:
            head += piece
            if len(head) > limit:
                break
        else:
            return _Memory(head)
        spool = _FileSource(await anyio.to_thread.run_sync(tempfile.TemporaryFile), 0, 0, owned=True, label=label)
        try:
            async for piece in pieces:
                head += piece
                if len(head) >= _PIECE:
                    await anyio.to_thread.run_sync(spool._fh.write, head)
                    head = bytearray()
            await anyio.to_thread.run_sync(spool._fh.write, head)
            spool.size = await anyio.to_thread.run_sync(spool._fh.tell)
        except BaseException:
            await spool.aclose()
            raise
    return spool
