"""Record exchanges with an upstream Gemini endpoint, and replay them later without it.

``Emulator(record=DIR, upstream=URL)`` forwards every request to ``URL`` (the real API, another
emulator) with the caller's key, streams the reply back as it arrives, and writes one JSON file
per exchange to ``DIR``: the request (method, path, query and headers without secrets, and its
body) and the response (status, headers, and the body bytes as they arrived, each read with its
time since the request). API keys (``x-goog-api-key``, ``?key=``), ``Authorization`` and cookies
are never written. Upload URLs that point at the upstream are rewritten to this server.

``Emulator(replay=DIR)`` serves those files: a request matches a recording on its method, path,
query and canonical body (JSON with sorted keys; other bodies by SHA-256), and gets the recorded
bytes with the recorded timing. Recordings of the same request are served in order, the last one
repeating. An unmatched request gets a 404 naming the nearest recording and how it differs.
"""

from __future__ import annotations

import asyncio
import base64
import difflib
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
from aiohttp import web
from multidict import CIMultiDict

from ._send import Reply
from ._wire import ApiError, decode_json

SECRET_HEADERS = frozenset({"x-goog-api-key", "authorization", "cookie", "set-cookie", "proxy-authorization"})
SECRET_QUERY = frozenset({"key"})
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding", "content-encoding"}
)
_BASE = "{base}"


def _query(query: dict[str, str]) -> str:
    return urlencode(sorted((k, v) for k, v in query.items() if k not in SECRET_QUERY))


def canonical_body(raw: bytes) -> str:
    """JSON bodies with sorted keys and no spacing; anything else by its SHA-256."""
    if not raw.strip():
        return ""
    try:
        return msgspec.json.encode(decode_json(raw), order="sorted").decode()
    except ApiError:
        return "sha256:" + hashlib.sha256(raw).hexdigest()


def request_key(method: str, path: str, query: dict[str, str], raw: bytes) -> str:
    """What a replayed request is matched on."""
    return f"{method} {path}?{_query(query)}\n{canonical_body(raw)}"


def _kept(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in SECRET_HEADERS | _HOP_HEADERS}


@dataclass
class Recording:
    """One exchange as stored on disk."""

    file: str
    key: str
    status: int
    headers: dict[str, str]
    headers_at: float
    chunks: list[tuple[float, bytes]]
    aborted: bool = False

    def reply(self, base: str) -> tuple[Reply, list[tuple[str, Any]]]:
        """The reply and the paced actions that send the recorded bytes with the recorded timing."""
        headers = {k: v.replace(_BASE, base) for k, v in self.headers.items()}
        content_type = headers.pop("content-type", None)
        reply = Reply([], "replay", self.status, headers, content_type)
        actions: list[tuple[str, Any]] = []
        if self.headers_at > 0:
            actions.append(("sleep", self.headers_at))
        actions.append(("headers", None))
        previous = self.headers_at
        for at, data in self.chunks:
            if at > previous:
                actions.append(("sleep", at - previous))
            actions.append(("write", data))
            previous = max(previous, at)
        if self.aborted:
            actions.append(("abort", None))
        return reply, actions


def _load(path: Path) -> Recording:
    data = json.loads(path.read_text())
    response = data["response"]
    chunks = [(float(c["at"]), base64.b64decode(c["data"])) for c in response["chunks"]]
    return Recording(
        path.name,
        data["key"],
        response["status"],
        response["headers"],
        response["headers_at"],
        chunks,
        bool(response.get("aborted")),
    )


class Recorder:
    """Forwards requests to ``upstream`` and writes each exchange to ``directory``."""

    def __init__(self, directory: str | Path, upstream: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.upstream = upstream.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._count = len(list(self.directory.glob("*.json")))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def handle(self, request: web.Request, raw: bytes) -> web.StreamResponse:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
            self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        base = f"{request.scheme}://{request.host}"
        forward = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS)
        forward["Accept-Encoding"] = "identity"  # the bytes on disk are the bytes the client gets
        started = time.monotonic()
        url = self.upstream + request.path_qs
        try:
            upstream = await self._session.request(request.method, url, data=raw or None, headers=forward)
        except aiohttp.ClientError as exc:
            body = ApiError(502, f"The upstream {self.upstream} could not be reached: {exc}", status="UNAVAILABLE")
            return web.json_response(body.envelope(), status=502)
        async with upstream:
            headers = {k: v.replace(self.upstream, _BASE) for k, v in _kept(upstream.headers).items()}
            response = web.StreamResponse(status=upstream.status)
            for name, value in headers.items():
                response.headers[name] = value.replace(_BASE, base)
            headers_at = time.monotonic() - started
            await response.prepare(request)
            chunks: list[tuple[float, bytes]] = []
            try:
                async for data in upstream.content.iter_any():
                    chunks.append((time.monotonic() - started, data))
                    await response.write(data)
            except ConnectionResetError:  # the client went away: nothing to record; `async with` frees upstream
                return response
            except aiohttp.ClientPayloadError:  # the upstream broke off: so does the copy, and its replay
                await self._save(request, raw, upstream.status, headers, headers_at, chunks, aborted=True)
                if request.transport is not None:
                    request.transport.abort()
                return response
            # Saved before the reply ends: once a client has the whole answer, its recording is on disk.
            await self._save(request, raw, upstream.status, headers, headers_at, chunks)
            await response.write_eof()
        return response

    async def _save(
        self,
        request: web.Request,
        raw: bytes,
        status: int,
        headers: dict[str, str],
        headers_at: float,
        chunks: list[tuple[float, bytes]],
        aborted: bool = False,
    ) -> None:
        self._count += 1
        query = dict(request.query)
        slug = request.path.strip("/").replace("/", "_").replace(":", "_")[:80]
        path = self.directory / f"{self._count:04d}-{request.method}-{slug}.json"
        body = canonical_body(raw)
        record = {
            "key": request_key(request.method, request.path, query, raw),
            "request": {
                "method": request.method,
                "path": request.path,
                "query": {k: v for k, v in query.items() if k not in SECRET_QUERY},
                "headers": _kept(request.headers),
                "body": body if not body.startswith("sha256:") else None,
                "body_sha256": hashlib.sha256(raw).hexdigest(),
            },
            "response": {
                "status": status,
                "headers": headers,
                "headers_at": round(headers_at, 6),
                "chunks": [{"at": round(at, 6), "data": base64.b64encode(data).decode()} for at, data in chunks],
                "aborted": aborted,
            },
        }
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        await asyncio.to_thread(path.write_text, text)  # a long stream's file is written off the loop


class Replayer:
    """Serves the recordings in ``directory``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"replay directory {self.directory} does not exist; record one with record=/--record")
        self.recordings = [_load(p) for p in sorted(self.directory.glob("*.json"))]
        self._by_key: dict[str, list[Recording]] = {}
        for recording in self.recordings:
            self._by_key.setdefault(recording.key, []).append(recording)
        self._served: dict[str, int] = {}

    def find(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Recording:
        key = request_key(method, path, query, raw)
        found = self._by_key.get(key)
        if not found:
            raise ApiError(404, self._nearest(key, method, path))
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        return found[min(served, len(found) - 1)]

    def _nearest(self, key: str, method: str, path: str) -> str:
        head = f"No recording in {self.directory} matches {method} {path}"
        if not self.recordings:
            return head + " (the directory holds no recordings)."

        def score(recording: Recording) -> tuple[bool, float]:
            same_route = recording.key.split("\n", 1)[0].split("?", 1)[0] == key.split("\n", 1)[0].split("?", 1)[0]
            return same_route, difflib.SequenceMatcher(None, recording.key[:4000], key[:4000]).ratio()

        nearest = max(self.recordings, key=score)
        line, body = nearest.key.split("\n", 1)
        wanted_line, wanted_body = key.split("\n", 1)
        differs = "query" if line != wanted_line else "body"
        if line.split("?", 1)[0] != wanted_line.split("?", 1)[0]:
            differs = "method or path"
        shown = body if differs == "body" else line
        return f"{head}. The nearest is {nearest.file} (it differs in the {differs}: {shown[:300]})."
