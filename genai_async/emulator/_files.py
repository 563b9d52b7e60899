"""The Files API and Google's resumable upload protocol (gemini-rest.md §9).

``start`` hands out an upload URL on this server's own host; ``upload`` appends bytes after checking
``X-Goog-Upload-Offset`` against what was received (a mismatch is a 400); ``finalize`` creates the
File, ``PROCESSING`` when a processing delay is configured, else already in its final state;
``query`` reports ``x-goog-upload-size-received``. A file turns ``ACTIVE`` (or the state queued
with ``Emulator.queue_file_state``) once ``processing_seconds`` have passed, checked on every read,
so a later ``GET`` sees the new state without any background task. ``File.uri`` has the service's
canonical form (``https://generativelanguage.googleapis.com/v1beta/files/<id>``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._send import Reply, unary
from ._wire import ApiError, now, paginate, timestamp

CHUNK_GRANULARITY = 8388608
# File.uri as the service writes it: clients recognise Gemini file references by this prefix. Any
# URI ending in files/<id> resolves here (see Files.describe).
FILE_URI_BASE = "https://generativelanguage.googleapis.com/v1beta"
_FILE_URI = re.compile(r"(?:^|/)files/([a-z0-9-]{1,40})$")
_FAILED_ERROR = {"code": 3, "message": "Unable to process the input file."}


@dataclass
class _Upload:
    display_name: str | None
    name: str | None
    mime_type: str
    declared: int | None
    base: str
    received: bytearray = field(default_factory=bytearray)
    finished: bool = False
    size: int = 0
    """Bytes received so far (kept after finalize, when the data itself is dropped)."""


@dataclass
class _File:
    resource: dict[str, Any]
    ready_at: float
    ready_stamp: str
    final_state: str
    data: bytes = b""
    """The content: kept for batch input files and for generated (downloadable) files."""


def _missing(file_id: str) -> ApiError:
    return ApiError(403, f"You do not have permission to access the File {file_id} or it may not exist.")


class Files:
    """In-memory file store plus the open upload sessions."""

    def __init__(self, new_id: Callable[[], str], processing_seconds: float, states: list[str]) -> None:
        self._new_id = new_id
        self.processing_seconds = processing_seconds
        self._states = states
        self._uploads: dict[str, _Upload] = {}
        self._files: dict[str, _File] = {}

    def reset(self) -> None:
        self._uploads.clear()
        self._files.clear()

    # -- upload protocol -------------------------------------------------------------------------

    def start(self, headers: dict[str, str], body: Any, base: str, version: str) -> Reply:
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
            raise ApiError(400, "Only the resumable upload protocol (X-Goog-Upload-Protocol: resumable) is emulated.")
        if headers.get("x-goog-upload-command", "").lower() != "start":
            raise ApiError(400, "The first request of a resumable upload must use X-Goog-Upload-Command: start.")
        meta = body.get("file") if isinstance(body, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name")
        if name is not None and not _FILE_URI.search(str(name)):
            raise ApiError(400, f"Invalid file name {name!r}: expected files/<id> with id in [a-z0-9-], at most 40.")
        if name is not None and str(name) in self._files:
            raise ApiError(409, f"File {name} already exists.", status="ALREADY_EXISTS")
        declared = str(headers.get("x-goog-upload-header-content-length") or meta.get("sizeBytes") or "")
        if declared and not declared.isdigit():
            raise ApiError(400, f"Invalid X-Goog-Upload-Header-Content-Length {declared!r}.")
        upload_id = "ABg" + self._new_id() + self._new_id()
        self._uploads[upload_id] = _Upload(
            display_name=meta.get("displayName"),
            name=str(name) if name else None,
            mime_type=headers.get("x-goog-upload-header-content-type")
            or meta.get("mimeType")
            or "application/octet-stream",
            declared=int(declared) if declared else None,
            base=base,
        )
        return unary(
            b"",
            headers={
                "x-goog-upload-status": "active",
                "x-goog-upload-url": f"{base}/upload/{version}/files?upload_id={upload_id}&upload_protocol=resumable",
                "x-goog-upload-chunk-granularity": str(CHUNK_GRANULARITY),
            },
        )

    def chunk(self, upload_id: str, headers: dict[str, str], data: bytes) -> Reply:
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise ApiError(404, f"Upload {upload_id} was not found.", headers={"x-goog-upload-status": "final"})
        commands = {c.strip() for c in headers.get("x-goog-upload-command", "").lower().split(",") if c.strip()}
        status = {"x-goog-upload-status": "final" if upload.finished else "active"}
        received = {"x-goog-upload-size-received": str(upload.size)}
        if "query" in commands:
            return unary(b"", headers={**status, **received})
        if "cancel" in commands:
            del self._uploads[upload_id]
            return unary(b"", headers={"x-goog-upload-status": "cancelled"})
        if upload.finished:
            raise ApiError(400, "The upload was already finalized.", headers=status)
        if not commands <= {"upload", "finalize"} or not commands:
            raise ApiError(
                400, f"Unsupported X-Goog-Upload-Command {headers.get('x-goog-upload-command')!r}.", headers=status
            )
        if "upload" in commands:
            offset = headers.get("x-goog-upload-offset")
            if offset is None or not offset.isdigit() or int(offset) != upload.size:
                raise ApiError(
                    400,
                    f"Invalid X-Goog-Upload-Offset {offset!r}: {upload.size} bytes were received so far.",
                    headers={**status, **received},
                )
            if upload.declared is not None and upload.size + len(data) > upload.declared:
                raise ApiError(  # as the service does; the bytes are not kept
                    400,
                    f"The upload grew past its declared size: {upload.declared} bytes were declared "
                    f"(X-Goog-Upload-Header-Content-Length), {upload.size + len(data)} would have been received.",
                    headers={**status, **received},
                )
            upload.received += data
            upload.size = len(upload.received)
        if "finalize" not in commands:
            return unary(b"", headers={**status, "x-goog-upload-size-received": str(upload.size)})
        return self._finalize(upload)

    def _finalize(self, upload: _Upload) -> Reply:
        final = {"x-goog-upload-status": "final"}
        if upload.declared is not None and upload.declared != len(upload.received):
            raise ApiError(
                400,
                f"Upload size mismatch: {upload.declared} bytes were declared, {len(upload.received)} received.",
                headers=final,
            )
        upload.finished = True
        name = upload.name or f"files/{self._new_id()}"
        created = now()
        resource: dict[str, Any] = {"name": name}
        if upload.display_name:
            resource["displayName"] = upload.display_name
        digest = hashlib.sha256(upload.received).hexdigest().encode()
        resource.update(
            mimeType=upload.mime_type,
            sizeBytes=str(len(upload.received)),
            createTime=timestamp(created),
            updateTime=timestamp(created),
            expirationTime=timestamp(created + _dt.timedelta(hours=48)),
            sha256Hash=base64.b64encode(digest).decode(),
            uri=f"{FILE_URI_BASE}/{name}",
            state="PROCESSING",
            source="UPLOADED",
        )
        state = self._states.pop(0) if self._states else "ACTIVE"
        ready = created + _dt.timedelta(seconds=self.processing_seconds)
        data = bytes(upload.received)
        stored = _File(resource, time.monotonic() + self.processing_seconds, timestamp(ready), state, data)
        self._files[name] = stored
        upload.received = bytearray()
        # With no processing delay the file is ready at once, and the finalize reply says so.
        return unary({"file": self._view(stored)}, headers=final)

    # -- files resource --------------------------------------------------------------------------

    def _view(self, stored: _File) -> dict[str, Any]:
        resource = dict(stored.resource)
        if stored.final_state != "PROCESSING" and time.monotonic() >= stored.ready_at:
            resource["state"] = stored.final_state
            resource["updateTime"] = stored.ready_stamp
            if stored.final_state == "FAILED":
                resource["error"] = dict(_FAILED_ERROR)
        return resource

    def _lookup(self, file_id: str) -> _File:
        stored = self._files.get(f"files/{file_id}")
        if stored is None:
            raise _missing(file_id)
        return stored

    def get(self, file_id: str) -> Reply:
        return unary(self._view(self._lookup(file_id)))

    def list(self, query: dict[str, str]) -> Reply:
        views = [self._view(f) for f in reversed(self._files.values())]
        return unary(paginate(views, query, "files", default=10, maximum=100))

    def delete(self, file_id: str) -> Reply:
        self._lookup(file_id)
        del self._files[f"files/{file_id}"]
        return unary({})

    def download(self, file_id: str) -> Reply:
        stored = self._lookup(file_id)
        if stored.resource.get("source") == "GENERATED":
            reply = unary(stored.data)
            reply.content_type = stored.resource["mimeType"]
            return reply
        raise ApiError(400, f"Only generated files can be downloaded; files/{file_id} was uploaded (source UPLOADED).")

    def content(self, name: str) -> bytes:
        """The bytes of an ACTIVE file (a batch's input); raises the service's errors otherwise."""
        file_id = name.removeprefix("files/")
        view = self._view(self._lookup(file_id))
        if view["state"] != "ACTIVE":
            raise ApiError(400, f"The File {file_id} is not in an ACTIVE state.", status="FAILED_PRECONDITION")
        return self._files[f"files/{file_id}"].data

    def add_generated(self, data: bytes, display_name: str, base: str = "") -> str:
        """Store a generated file (a batch's responses) and return its name; it can be downloaded."""
        name = f"files/batch-{display_name}"[:46]
        created = now()
        resource = {
            "name": name,
            "displayName": display_name,
            "mimeType": "application/jsonl",
            "sizeBytes": str(len(data)),
            "createTime": timestamp(created),
            "updateTime": timestamp(created),
            "expirationTime": timestamp(created + _dt.timedelta(hours=48)),
            "uri": f"{base}/v1beta/{name}",
            "downloadUri": f"{base}/download/v1beta/{name}:download?alt=media",
            "state": "ACTIVE",
            "source": "GENERATED",
        }
        self._files[name] = _File(resource, 0.0, timestamp(created), "ACTIVE", data)
        return name

    def describe(self, file_data: dict[str, Any]) -> str:
        """Acknowledgement text for a ``fileData`` part; raises when the file cannot be used."""
        uri = str(file_data.get("fileUri", ""))
        match = _FILE_URI.search(uri)
        if match is None:
            return f"the file at {uri}"
        file_id = match.group(1)
        view = self._view(self._lookup(file_id))
        if view["state"] != "ACTIVE":
            raise ApiError(
                400,
                f"The File {file_id} is not in an ACTIVE state and usage is not allowed.",
                status="FAILED_PRECONDITION",
            )
        label = view.get("displayName") or view["name"]
        return f"the file {label} ({view['mimeType']}, {view['sizeBytes']} bytes)"
