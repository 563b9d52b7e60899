"""``contents`` as users pass them (str, Part, Content, dicts in either key spelling, bytes, a PIL
image, an uploaded File, a pathlib.Path) turned into wire Contents, following the official SDK's
grouping rules. Files on disk are read in a worker thread; bytes get their MIME type sniffed.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping
from typing import Any

from ._normalize import to_struct
from .errors import ConfigurationError
from .types import Content, File, Part


def to_part(value: Any, path: str = "contents") -> Part:
    """One part from a str, Part, dict, uploaded File, bytes (sniffed), PIL image..."""
    if isinstance(value, str):
        return Part(text=value)
    if isinstance(value, Part):
        return value
    if isinstance(value, Mapping):
        return to_struct(value, Part, path)
    if isinstance(value, File):
        if not value.uri:
            raise ConfigurationError(f"{path}: this File has no uri; pass the File returned by files.upload/get")
        return Part.from_uri(file_uri=value.uri, mime_type=value.mime_type)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        mime = sniff_mime(data)
        if mime is None:
            raise ConfigurationError(
                f"{path}: cannot tell the MIME type of these {len(data)} bytes; "
                "use types.Part.from_bytes(data=..., mime_type=...)"
            )
        return Part.from_bytes(data=data, mime_type=mime)
    if type(value).__module__.startswith("PIL."):
        return _pil_part(value)
    if isinstance(value, pathlib.PurePath):
        raise ConfigurationError(
            f"{path} is a Path inside a Content; put the Path itself in the contents list "
            "(it is then read and sent inline) or use types.Part.from_bytes"
        )
    raise ConfigurationError(
        f"{path} is a {type(value).__name__}, which cannot be sent; use a str, types.Part, "
        "types.Content, a dict, bytes (or types.Part.from_bytes), or a File from files.upload"
    )


def _pil_part(image: Any) -> Part:
    import io

    fmt = "JPEG" if str(getattr(image, "format", "") or "").upper() in ("JPEG", "JPG") else "PNG"
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return Part.from_bytes(data=buf.getvalue(), mime_type=f"image/{fmt.lower()}")


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
)


def sniff_mime(data: bytes) -> str | None:
    """The MIME type of common image/audio/PDF bytes from their first bytes, or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _is_content(value: Any) -> bool:
    return isinstance(value, Content) or (isinstance(value, Mapping) and ("parts" in value or "role" in value))


def to_contents(contents: Any, path: str = "contents") -> list[Content]:
    """The official SDK's rules: a Content stays one turn; an inner list is one user turn;
    consecutive parts/strings form one turn, a new one starting wherever function-call parts (a
    model turn) meet other parts (a user turn), so ``[call, response]`` is a model then a user turn."""
    if type(contents) is str and contents:  # the commonest call of all: one prompt string
        return [Content(role="user", parts=[Part(text=contents)])]
    if contents is None or contents == "" or contents == []:
        raise ConfigurationError(f"{path} is empty; pass a prompt string, parts or Content turns")
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    out: list[Content] = []
    group: list[Part] = []

    def flush() -> None:
        if group:
            calls = group[0].function_call is not None
            out.append(Content(role="model" if calls else "user", parts=list(group)))
            group.clear()

    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(contents, (list, tuple)) else path
        if _is_content(item):
            flush()
            content = to_struct(item, Content, where)
            if not content.parts:
                raise ConfigurationError(f"{where} has no parts; every turn needs at least one part")
            out.append(content)
        elif isinstance(item, (list, tuple)):
            flush()
            if not item:
                raise ConfigurationError(f"{where} is an empty list; an inner list is one user turn and needs a part")
            out.append(Content(role="user", parts=[to_part(v, f"{where}[{j}]") for j, v in enumerate(item)]))
        else:
            part = to_part(item, where)
            if group and (part.function_call is not None) != (group[0].function_call is not None):
                flush()
            group.append(part)
    flush()
    return out


def to_content(value: Any, path: str) -> Content:
    """A single Content (used for system instructions): str, Part, list of parts, Content or dict."""
    if _is_content(value):
        return to_struct(value, Content, path)
    items = value if isinstance(value, (list, tuple)) else [value]
    return Content(parts=[to_part(v, f"{path}[{i}]") for i, v in enumerate(items)])


INLINE_LIMIT = 20 * 1024 * 1024
"""Largest file sent inline from a Path; bigger files go through ``client.files.upload``."""


def guess_mime(path: os.PathLike[str] | str) -> str | None:
    """The MIME type of a file name (stdlib table plus the types Gemini accepts that it lacks)."""
    import mimetypes  # reads the system's tables on first use

    mime, _ = mimetypes.guess_type(str(path))
    if mime is None:
        mime = _EXTRA_MIME.get(os.path.splitext(str(path))[1].lower())
    return mime


_EXTRA_MIME = {
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".md": "text/markdown",
    ".flac": "audio/flac",
    ".aac": "audio/aac",
    ".jsonl": "application/jsonl",
    ".py": "text/x-python",
}


def file_error(path: os.PathLike[str] | str, exc: OSError, where: str) -> ConfigurationError:
    """The one error for a path that cannot be read (missing, a directory, no permission), the same
    for contents and for ``files.upload``; the OSError is its ``__cause__``."""
    if isinstance(exc, FileNotFoundError):
        reason = "no such file (check the path; a relative one starts at the current directory)"
    elif isinstance(exc, IsADirectoryError):
        reason = "it is a directory; pass a file"
    else:
        reason = exc.strerror or str(exc)
    error = ConfigurationError(f"cannot read the file {os.fspath(path)!r} ({where}): {reason}")
    error.__cause__ = exc
    return error


def check_file(path: os.PathLike[str] | str, where: str) -> int:
    """The size of the regular file at ``path`` (blocking: call it in a worker thread); a missing
    file or a directory is :func:`file_error`."""
    import errno
    import stat

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    except OSError as exc:
        raise file_error(path, exc, where) from exc
    return st.st_size


def _read_inline(path: pathlib.Path, where: str) -> Part:
    size = check_file(path, where)
    if size > INLINE_LIMIT:
        raise ConfigurationError(
            f"{path} is {size / 1e6:.1f} MB, over the {INLINE_LIMIT // (1024 * 1024)} MB inline limit; "
            "upload it first: file = await client.files.upload(file=path), then pass `file` in contents"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:  # unreadable, or gone since check_file
        raise file_error(path, exc, where) from exc
    mime = guess_mime(path) or sniff_mime(data)
    if mime is None:
        raise ConfigurationError(
            f"cannot tell the MIME type of {path}; use types.Part.from_bytes(data=..., mime_type=...)"
        )
    return Part.from_bytes(data=data, mime_type=mime)


def has_paths(contents: Any) -> bool:
    """True when ``contents`` holds ``pathlib.Path`` items that :func:`load_paths` must read."""
    if type(contents) is str:
        return False
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    return any(isinstance(item, pathlib.PurePath) for item in items)


async def load_paths(contents: Any, path: str = "contents") -> Any:
    """Replace ``pathlib.Path`` items of ``contents`` by inline parts, reading files in a worker
    thread so a large file never blocks the event loop."""
    if not has_paths(contents):
        return contents
    import anyio.to_thread

    items = contents if isinstance(contents, (list, tuple)) else [contents]
    many = isinstance(contents, (list, tuple))
    loaded = [
        await anyio.to_thread.run_sync(_read_inline, pathlib.Path(item), f"{path}[{i}]" if many else path)
        if isinstance(item, pathlib.PurePath)
        else item
        for i, item in enumerate(items)
    ]
    return loaded if isinstance(contents, (list, tuple)) else loaded[0]
