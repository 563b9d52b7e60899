"""The output file as the run's journal: one JSON line per finished key, appended and flushed.

Exactly-once rests on three rules:
- A result is written as whole lines (``json + "\\n"``) to a file opened with ``O_APPEND``, at the
  end of the event-loop turn in which its request ended (results ending in the same turn share
  one ``write()``); nothing is held longer, so a ``kill -9`` loses at most requests that were in
  flight or had just ended, none of them in the file, all redone.
- On start, the existing file is read back: every complete line's key counts as done. A last line
  without its ``"\\n"`` (the kill landed inside a ``write``) or that is not JSON is *torn*: it is cut
  off (the file is truncated to the end of the last good line) and its key is redone. A bad line
  anywhere else means the file is not ours, and the run refuses to touch it.
- Keys are compared as text (``5`` and ``"5"`` are the same key) through their 64-bit hash, kept in a
  sorted ``array`` (8 bytes a key: a million done keys cost 8 MB, not the ~80 MB of a set of
  strings). Two different keys colliding is about one chance in 10^7 for a million keys; the
  summary's count check (every input line accounted for) would show it.
What is not covered: power loss (no ``fsync`` per line; the OS holds the written lines) and a key
repeated in the input (keys must be unique; a repeat is processed again).
"""

from __future__ import annotations

import array
import asyncio
import bisect
import os
from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import ConfigurationError

_READ = 1 << 20


class _KeyOnly(msgspec.Struct):
    key: Any = None
    error: msgspec.Raw = msgspec.Raw()
    """Kept raw (not decoded): only whether it is there matters."""


_KEY = msgspec.json.Decoder(_KeyOnly)


def key_text(key: Any) -> str:
    """The text a key is compared by: strings as they are, anything else as its JSON."""
    return key if isinstance(key, str) else msgspec.json.encode(key).decode()


@dataclass
class Resume:
    """What an existing output file holds: the done keys, and whether a torn line was cut off."""

    done: array.array[int]
    lines: int = 0
    torn: bool = False
    failed: int = 0

    def __contains__(self, key: str) -> bool:
        done, h = self.done, hash(key)
        i = bisect.bisect_left(done, h)
        return i < len(done) and done[i] == h


def scan(path: str, retry_failed: bool = False) -> Resume:
    """Read ``path`` (if it exists), cut a torn last line off, and return the done keys.

    ``retry_failed``: first rewrite the file without its error lines (into a temporary file renamed
    over it, so a kill during the rewrite leaves the old file whole), so those keys run again.
    """
    if retry_failed:
        _drop_failed(path)
    hashes: list[int] = []
    resume = Resume(array.array("q"))
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return resume
    try:
        good_end = 0  # offset just past the last complete, valid line
        offset = 0
        tail = b""
        bad: tuple[int, bytes] | None = None
        while chunk := os.read(fd, _READ):
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                offset += len(line) + 1
                if bad is not None:  # a bad line followed by more lines: not a torn tail
                    raise _not_ours(path, bad)
                if not line.strip():
                    good_end = offset
                    continue
                try:
                    parsed = _KEY.decode(line)
                except msgspec.DecodeError:
                    bad = (resume.lines + 1, line)
                    continue
                hashes.append(hash(key_text(parsed.key)))
                resume.lines += 1
                if parsed.error:
                    resume.failed += 1
                good_end = offset
        if tail or bad is not None:
            resume.torn = True
            os.ftruncate(fd, good_end)
    finally:
        os.close(fd)
    hashes.sort()
    resume.done = array.array("q", hashes)
    return resume


def _drop_failed(path: str) -> None:
    if scan(path).failed == 0:
        return
    tmp = path + ".retry-failed.tmp"
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        for line in src:
            if line.strip() and not _KEY.decode(line).error:
                dst.write(line if line.endswith(b"\n") else line + b"\n")
    os.replace(tmp, path)


def _not_ours(path: str, bad: tuple[int, bytes]) -> ConfigurationError:
    number, line = bad
    return ConfigurationError(
        f"{path}: line {number} is not JSON ({line[:60]!r}); this is not an output file of genai-async run, "
        "or it was edited. Choose another --output, or fix that line"
    )


class Writer:
    """Appends whole lines (``O_APPEND``, no buffer kept past the current event-loop turn).

    ``write`` writes at once. ``add`` (inside a running loop) queues the line and writes every line
    queued in the same loop turn with one ``write`` at the end of that turn, before the loop waits
    for anything: results that end together cost one system call, and a result still reaches the
    file before any later I/O of the run. Close it when the run ends (``close`` flushes).
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._queued: list[bytes] = []

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a short write (a full disk, a signal) continues where it stopped
            view = view[os.write(self._fd, view) :]

    def add(self, line: bytes) -> None:
        if not self._queued:
            asyncio.get_running_loop().call_soon(self.flush)
        self._queued.append(line)

    def flush(self) -> None:
        if self._queued and self._fd >= 0:
            lines, self._queued = self._queued, []
            self.write(lines[0] if len(lines) == 1 else b"".join(lines))

    def close(self) -> None:
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1
