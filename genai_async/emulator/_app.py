"""The :class:`Emulator`: state, scripting API, routing and authentication.

Every request goes through one handler: record it, route it to an endpoint name, take the next
scripted action for that name (error, exact response or fault), authenticate, run the endpoint,
then hand the reply to the sender. Errors anywhere become the service's envelope (gemini-rest.md
§13). The endpoints live in their own modules (_models, _files, _caches); this one only wires them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from . import _catalogue, _models
from ._batches import OUTCOMES, Batches
from ._body import Body
from ._caches import Caches
from ._capacity import Capacity
from ._cors import cors_headers, preflight_headers
from ._files import Files
from ._live import PATH as LIVE_PATH
from ._live import LiveEndpoint
from ._proto import check_message
from ._record import Recorder, Replayer
from ._script import FAULT_KINDS, FILE_STATES, Fault, Script, ScriptedError, ScriptedResponse
from ._send import Reply, Sender, error_reply, plan, scripted_error, scripted_response, unary
from ._wire import DEFAULT_MESSAGES, ApiError, bad_key_error, camelize, paginate

_VERSION = r"/(?P<version>v1beta|v1|v1alpha)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p + r"\Z"), name)
    for m, p, name in [
        ("POST", r"/upload" + _VERSION + r"/files", "upload"),
        ("POST", _VERSION + r"/models/(?P<id>[^/:]+):(?P<method>\w+)", "model-method"),
        ("GET", _VERSION + r"/models", "models.list"),
        ("GET", _VERSION + r"/models/(?P<id>[^/:]+)", "models.get"),
        ("GET", _VERSION + r"/files", "files.list"),
        ("GET", _VERSION + r"/files/(?P<id>[^/:]+)", "files.get"),
        ("DELETE", _VERSION + r"/files/(?P<id>[^/:]+)", "files.delete"),
        ("GET", _VERSION + r"/files/(?P<id>[^/:]+):download", "files.download"),
        ("POST", _VERSION + r"/cachedContents", "cachedContents.create"),
        ("GET", _VERSION + r"/cachedContents", "cachedContents.list"),
        ("GET", _VERSION + r"/cachedContents/(?P<id>[^/:]+)", "cachedContents.get"),
        ("PATCH", _VERSION + r"/cachedContents/(?P<id>[^/:]+)", "cachedContents.patch"),
        ("DELETE", _VERSION + r"/cachedContents/(?P<id>[^/:]+)", "cachedContents.delete"),
        ("GET", _VERSION + r"/batches", "batches.list"),
        ("GET", _VERSION + r"/batches/(?P<id>[^/:]+)", "batches.get"),
        ("POST", _VERSION + r"/batches/(?P<id>[^/:]+):cancel", "batches.cancel"),
        ("DELETE", _VERSION + r"/batches/(?P<id>[^/:]+)", "batches.delete"),
    ]
]
_MODEL_METHODS = frozenset(
    {
        "generateContent",
        "streamGenerateContent",
        "countTokens",
        "embedContent",
        "batchEmbedContents",
        "batchGenerateContent",
        "asyncBatchEmbedContent",
    }
)
_BATCH_KINDS = {"batchGenerateContent": "generate", "asyncBatchEmbedContent": "embed"}
_COMMON_HEADERS = {
    "Server": "scaffolding on HTTPServer2",
    "Vary": "Origin, X-Origin, Referer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "0",
}
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
logger = logging.getLogger("genai_async.emulator")
MAX_BODY_BYTES = 128 * 1024 * 1024
# Model-method bodies above this size are handled in a worker thread (see Emulator._handle).
_OFFLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes


class Emulator:
    """A local Gemini REST server (v1beta wire protocol): deterministic, scriptable, in-process.

    Use :func:`running` to serve it on a socket; ``.app`` is the ``aiohttp.web.Application`` for
    custom runners. ``.requests`` records every request; ``queue_*`` script the next replies.

    Options: ``seed`` changes every generated text (same request + seed = same bytes);
    ``time_to_first_chunk`` (seconds) and ``tokens_per_second`` (None = no pacing) delay generated
    content, streamed or unary; ``chunk_tokens`` is the stream chunk size; ``api_key`` set means any
    other key gets 400 API_KEY_INVALID (unset: any non-empty key passes; none at all is a 403);
    ``sse_line_ending`` frames SSE events; ``usage_on_every_chunk=False`` puts usage on the last
    event only; ``models`` replaces the catalogue (Model resources); ``file_processing_delay`` is how
    long an upload stays PROCESSING. ``.requests`` keeps the most recent ``max_recorded_requests``
    requests whose bodies total at most ``max_recorded_bytes`` (None: no bound; the pytest fixture
    keeps everything for its test), so a long-running emulator does not grow without bound.

    ``strict`` (default True) applies the checks the service makes and older emulators skipped
    (gemini-rest.md §13.4): unknown names and wrong-typed or invalid enum values anywhere in the
    request, empty parts, function-call turn order and part counts, Gemini 3 thought signatures
    on replayed calls, the model's input token limit, response modalities, the minimum cache
    size. ``strict=False`` accepts those requests, as before.

    ``record=DIR`` with ``upstream=URL`` proxies every request to ``URL`` and records each exchange
    in ``DIR`` (keys never written); ``replay=DIR`` serves those recordings with their timing,
    without any upstream (see :mod:`genai_async.emulator._record`). Both bypass generation and
    the scripting queue.

    ``batch_schedule`` is ``(pending, running)``: the seconds a new batch job stays PENDING, then
    RUNNING, before it ends (``queue_batch_outcome`` scripts how).

    ``max_concurrency`` (None: unlimited) turns on the capacity model
    of :mod:`._capacity`: that many generating requests at once, slower as they add up, the rest
    queued (``overflow="queue"``, at most ``max_queue`` waiting) or refused with 429
    (``overflow="reject"``); its counters are on ``.capacity``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        time_to_first_chunk: float = 0.0,
        tokens_per_second: float | None = None,
        chunk_tokens: int = 8,
        api_key: str | None = None,
        sse_line_ending: str = "\r\n",
        usage_on_every_chunk: bool = True,
        models: list[dict[str, Any]] | None = None,
        file_processing_delay: float = 0.0,
        max_recorded_requests: int | None = 1000,
        max_recorded_bytes: int | None = 64 * 1024 * 1024,
        strict: bool = True,
        record: str | Path | None = None,
        upstream: str | None = None,
        replay: str | Path | None = None,
        batch_schedule: tuple[float, float] = (0.0, 0.0),
        max_concurrency: int | None = None,
        overflow: str = "queue",
        max_queue: int | None = None,
    ) -> None:
        if chunk_tokens < 1:
            raise ValueError("chunk_tokens must be at least 1")
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be positive (or None for no pacing)")
        if (record is None) != (upstream is None):
            raise ValueError("record= and upstream= go together: record=DIR saves what upstream=URL answers")
        if record is not None and replay is not None:
            raise ValueError("record= and replay= exclude each other")
        self._recorder = Recorder(record, upstream) if record is not None and upstream is not None else None
        self._replayer = Replayer(replay) if replay is not None else None
        self.seed = seed
        self.time_to_first_chunk = time_to_first_chunk
        self.tokens_per_second = tokens_per_second
        self.chunk_tokens = chunk_tokens
        self.api_key = api_key
        self.sse_line_ending = sse_line_ending
        self.usage_on_every_chunk = usage_on_every_chunk
        self.models: list[dict[str, Any]] = models if models is not None else _catalogue.default_models()
        bounds = (("max_recorded_requests", max_recorded_requests), ("max_recorded_bytes", max_recorded_bytes))
        for name, bound in bounds:
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise ValueError(f"{name} must be a non-negative int or None, got {bound!r}")
        self.max_recorded_requests = max_recorded_requests
        self.max_recorded_bytes = max_recorded_bytes
        self.requests: list[RecordedRequest] = []
        """The most recent requests, oldest first (bounded: see the class docstring)."""
        self._recorded_bytes = 0
        self.capacity = Capacity(max_concurrency, overflow, max_queue) if max_concurrency is not None else None
        self._script = Script()
        self._ids = random.Random(seed)
        self._files = Files(self._new_id, file_processing_delay, self._script.file_states)
        self._caches = Caches(self._new_id, self.models)
        self.strict = strict
        self._batches = Batches(
            self._new_id,
            self._batch_answer,
            self._files.content,
            lambda data, label: self._files.add_generated(data, label, self._base_url or ""),
            batch_schedule,
        )
        self._closing = asyncio.Event()
        self._hanging: set[asyncio.Task[Any]] = set()
        self._base_url: str | None = None
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.live = LiveEndpoint(self)
        """The Live API WebSocket endpoint: its options and scripting (``emu.live.queue_go_away()``...)."""
        self.app.router.add_get(LIVE_PATH, self.live.handle)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self.app.on_startup.append(self._on_startup)
        self.app.on_shutdown.append(self._on_shutdown)
        self.app.on_cleanup.append(self._on_cleanup)

    @property
    def strict(self) -> bool:
        """Whether the service's full request checks apply (see the class docstring)."""
        return self._strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._strict = self._caches.strict = bool(value)

    @property
    def base_url(self) -> str:
        """``http://host:port`` while served by :func:`running`; raises before that."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running; use `async with running() as emu`")
        return self._base_url

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        self._base_url = value

    def _record(self, recorded: RecordedRequest) -> None:
        """Append to :attr:`requests`, then drop the oldest beyond the bounds (Live sessions log here too)."""
        requests = self.requests
        requests.append(recorded)
        self._recorded_bytes += len(recorded.body)
        most, budget = self.max_recorded_requests, self.max_recorded_bytes
        drop = 0  # the oldest ones, removed at once (a list: it compares and slices as before)
        while drop < len(requests) and (
            (most is not None and len(requests) - drop > most) or (budget is not None and self._recorded_bytes > budget)
        ):
            self._recorded_bytes -= len(requests[drop].body)
            drop += 1
        if drop:
            del requests[:drop]

    def reset(self) -> None:
        """Forget recorded requests, scripted actions, files, uploads and caches."""
        self.requests.clear()
        self._recorded_bytes = 0
        self._script.clear()
        self._files.reset()
        self._caches.reset()
        self.live.reset()
        self._batches.reset()
        self._ids.seed(self.seed)

    # -- scripting -----------------------------------------------------------------------------

    def queue_error(
        self,
        status: int,
        *,
        message: str | None = None,
        status_name: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_delay: float | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        content_type: str | None = None,
        endpoint: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next matching request(s) with an error: the JSON envelope, or a raw ``body``."""
        raw = body.encode() if isinstance(body, str) else body
        action = ScriptedError(
            status, message, status_name, details, retry_delay, dict(headers or {}), raw, content_type
        )
        self._script.add(action, endpoint, times)

    def queue_response(
        self,
        body: dict[str, Any] | list[Any] | bytes | str,
        endpoint: str | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next matching request(s) with exactly ``body``.

        For ``streamGenerateContent`` a list is sent as one SSE event (or array element) per dict;
        bytes/str items and bodies are written verbatim.
        """
        self._script.add(ScriptedResponse(body, status, dict(headers or {})), endpoint, times)

    def queue_fault(
        self, kind: str, *, after_events: int = 0, endpoint: str | None = None, times: int = 1, **opts: Any
    ) -> None:
        """Misbehave on the next matching request(s); ``kind`` is one of ``FAULT_KINDS``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        self._script.add(Fault(kind, after_events, dict(opts)), endpoint, times)

    def queue_file_state(self, state: str) -> None:
        """Make the next finalized upload end in ``state`` (``FAILED``, ``PROCESSING`` forever, ``ACTIVE``)."""
        if state not in FILE_STATES:
            raise ValueError(f"unknown file state {state!r}; expected one of {sorted(FILE_STATES)}")
        self._script.file_states.append(state)

    @property
    def batch_schedule(self) -> tuple[float, float]:
        """``(pending, running)`` seconds of the batch jobs created from now on."""
        return self._batches.schedule

    @batch_schedule.setter
    def batch_schedule(self, value: tuple[float, float]) -> None:
        self._batches.schedule = (float(value[0]), float(value[1]))

    def queue_batch_outcome(self, state: str) -> None:
        """Make the next created batch end in ``state``: ``SUCCEEDED`` (the default), ``FAILED``,
        ``EXPIRED``, or stay ``PENDING``/``RUNNING`` forever."""
        if state not in OUTCOMES:
            raise ValueError(f"unknown batch outcome {state!r}; expected one of {sorted(OUTCOMES)}")
        self._batches.outcomes.append(state)

    def _batch_answer(self, kind: str, model: dict[str, Any], request: Any) -> dict[str, Any]:
        """One request of a batch, answered as generateContent / embedContent would answer it."""
        if kind == "embed":
            reply = _models.embed("embedContent", model, request)
        else:
            settings = _models.Settings(self.seed, self.chunk_tokens, self.usage_on_every_chunk)
            reply = _models.generate(
                "generateContent", model, request, False, settings, self._caches, self._files.describe
            )
        payload: dict[str, Any] = reply.items[0].payload
        return payload

    # -- plumbing ------------------------------------------------------------------------------

    def _new_id(self) -> str:
        return "".join(self._ids.choice(_ID_ALPHABET) for _ in range(12))

    async def _on_startup(self, app: web.Application) -> None:
        self._closing = asyncio.Event()

    async def _on_cleanup(self, app: web.Application) -> None:
        if self._recorder is not None:
            await self._recorder.aclose()

    async def _on_shutdown(self, app: web.Application) -> None:
        # Pauses and hangs wait on this event and end at once; whatever is still hanging after one
        # loop turn is cancelled so the runner never waits out its shutdown timeout.
        self._closing.set()
        await asyncio.sleep(0)
        for task in list(self._hanging):
            task.cancel()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        cors = cors_headers(request.headers)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            # The service answers its usual envelope, not aiohttp's text/plain 413.
            error = ApiError(400, f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")
            reply = error_reply(error)
            reply.headers = {**_COMMON_HEADERS, **cors, "Connection": "close"}
            actions = plan(reply, None, first_delay=0.0, tokens_per_second=None, line_end=b"\r\n")
            return await Sender(self._closing, self._hanging).send(request, reply, actions)
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.query)
        body = Body(raw, headers)
        if self.max_recorded_requests != 0:  # 0: keep nothing (and skip building the record)
            self._record(RecordedRequest(request.method, request.path, query, headers, body.logged(), raw))
        if request.method == "OPTIONS" and "access-control-request-method" in headers:
            return web.Response(status=200, headers={**_COMMON_HEADERS, **preflight_headers(request.headers)})
        if self._recorder is not None:
            return await self._recorder.handle(request, raw)
        if self._replayer is not None:
            return await self._replay(request, raw, query)
        fault: Fault | None = None
        try:
            endpoint, params = self._route(request.method, request.path, query)
            action = self._script.take(endpoint)
            if isinstance(action, ScriptedError):
                reply = scripted_error(action)
            elif isinstance(action, ScriptedResponse):
                reply = scripted_response(action, endpoint, query.get("alt") == "sse")
            else:
                fault = action
                self._authorize(endpoint, headers, query)
                args = (endpoint, params, f"{request.scheme}://{request.host}", body, headers, query)
                if endpoint in _MODEL_METHODS and len(raw) > _OFFLOAD_BYTES:
                    # A long prompt's parsing and counting run in a worker thread so the event loop
                    # keeps answering other requests meanwhile.
                    reply = await asyncio.to_thread(self._dispatch_safely, *args)
                else:
                    reply = self._dispatch(*args)
        except ApiError as err:
            reply = error_reply(err)
        except Exception as exc:  # an emulator bug: answer like the service's 500, and say what broke
            reply = self._internal_error(request, exc)
        slow, capacity = 1.0, self.capacity if reply.paced else None
        if capacity is not None:
            waiting = asyncio.current_task()
            if waiting is not None:
                self._hanging.add(waiting)  # a request still in line is cancelled at shutdown
            try:
                slow = await capacity.acquire()
            except ApiError as err:  # over capacity: refused like an overloaded service
                reply, capacity = error_reply(err), None
            finally:
                self._hanging.discard(waiting)
        try:
            reply.headers = {**_COMMON_HEADERS, **cors, **reply.headers}
            actions = plan(
                reply,
                fault,
                first_delay=self.time_to_first_chunk * slow if reply.paced else 0.0,
                tokens_per_second=self.tokens_per_second / slow if reply.paced and self.tokens_per_second else None,
                line_end=self.sse_line_ending.encode(),
            )
            return await Sender(self._closing, self._hanging).send(request, reply, actions)
        finally:
            if capacity is not None:
                capacity.release()

    async def _replay(self, request: web.Request, raw: bytes, query: dict[str, str]) -> web.StreamResponse:
        assert self._replayer is not None
        try:
            recording = self._replayer.find(request.method, request.path, query, raw)
        except ApiError as err:
            reply = error_reply(err)
            reply.headers = {**_COMMON_HEADERS, **reply.headers}
            actions = plan(reply, None, first_delay=0.0, tokens_per_second=None, line_end=b"\r\n")
        else:
            reply, actions = recording.reply(f"{request.scheme}://{request.host}")
        return await Sender(self._closing, self._hanging).send(request, reply, actions)

    @staticmethod
    def _internal_error(request: web.Request, exc: Exception) -> Reply:
        logger.error("emulator failed on %s %s", request.method, request.path, exc_info=exc)
        return error_reply(ApiError(500, f"Emulator internal error: {type(exc).__name__}: {exc}"))

    def _dispatch_safely(self, *args: Any) -> Reply:
        """:meth:`_dispatch` for a worker thread: service errors come back as replies."""
        try:
            return self._dispatch(*args)
        except ApiError as err:
            return error_reply(err)

    def _route(self, method: str, path: str, query: dict[str, str]) -> tuple[str, dict[str, str]]:
        for verb, pattern, name in _ROUTES:
            match = pattern.match(path)
            if match is None or verb != method:
                continue
            params = match.groupdict()
            if name == "upload":
                return ("upload.chunk" if "upload_id" in query else "upload"), params
            if name == "model-method":
                if params["method"] not in _MODEL_METHODS:
                    raise ApiError(404, f"Method not found: {method} {path}")
                return params["method"], params
            return name, params
        raise ApiError(404, f"Method not found: {method} {path}")

    def _authorize(self, endpoint: str, headers: dict[str, str], query: dict[str, str]) -> None:
        if endpoint == "upload.chunk":
            return  # the upload_id authorises chunk requests, as for the real service
        key = headers.get("x-goog-api-key") or query.get("key")
        if not key:
            if self.api_key is None and headers.get("authorization", "").startswith("Bearer "):
                return
            raise ApiError(403, DEFAULT_MESSAGES[403])
        if self.api_key is not None and key != self.api_key:
            raise bad_key_error()

    def _dispatch(
        self,
        endpoint: str,
        params: dict[str, str],
        base: str,
        body: Body,
        headers: dict[str, str],
        query: dict[str, str],
    ) -> Reply:
        if endpoint == "upload":
            return self._files.start(headers, camelize(body.json({})), base, params["version"])
        if endpoint == "upload.chunk":
            return self._files.chunk(query["upload_id"], headers, body.raw)
        if endpoint == "models.list":
            return unary(paginate([dict(m) for m in self.models], query, "models", default=50, maximum=1000))
        if endpoint == "models.get":
            return unary(dict(_models.find(self.models, params["id"], params["version"], "GetModel")))
        if endpoint.startswith("files."):
            file_id = params.get("id", "")
            handlers = {
                "files.list": lambda: self._files.list(query),
                "files.get": lambda: self._files.get(file_id),
                "files.delete": lambda: self._files.delete(file_id),
                "files.download": lambda: self._files.download(file_id),
            }
            return handlers[endpoint]()
        if endpoint.startswith("cachedContents."):
            return self._cache_endpoint(endpoint, params.get("id", ""), body, query)
        if endpoint.startswith("batches."):
            return self._batch_endpoint(endpoint, params.get("id", ""), query)
        model = _models.find(self.models, params["id"], params["version"], endpoint)
        if endpoint in _BATCH_KINDS:
            kind = _BATCH_KINDS[endpoint]
            if _catalogue.is_embedding(model) != (kind == "embed"):
                raise ApiError(
                    400, f"{model['name']} does not support {endpoint}. Call ListModels to see supported methods."
                )
            return self._batches.create(kind, model, body.json())
        request = body.json()
        if endpoint == "countTokens":
            return _models.count_tokens(model, request, self._caches, self.strict)
        if endpoint in ("embedContent", "batchEmbedContents"):
            return _models.embed(endpoint, model, request)
        settings = _models.Settings(self.seed, self.chunk_tokens, self.usage_on_every_chunk, self.strict)
        sse = query.get("alt") == "sse"
        return _models.generate(endpoint, model, request, sse, settings, self._caches, self._files.describe)

    def _batch_endpoint(self, endpoint: str, batch_id: str, query: dict[str, str]) -> Reply:
        handlers = {
            "batches.list": lambda: self._batches.list(query),
            "batches.get": lambda: self._batches.get(batch_id),
            "batches.cancel": lambda: self._batches.cancel(batch_id),
            "batches.delete": lambda: self._batches.delete(batch_id),
        }
        return handlers[endpoint]()

    def _cache_endpoint(self, endpoint: str, cache_id: str, raw: Body, query: dict[str, str]) -> Reply:
        if endpoint == "cachedContents.list":
            return self._caches.list(query)
        if endpoint == "cachedContents.get":
            return self._caches.get(cache_id)
        if endpoint == "cachedContents.delete":
            return self._caches.delete(cache_id)
        sent = raw.json({})
        if self.strict and endpoint == "cachedContents.create":
            check_message(sent, "CachedContent")
        body = camelize(sent)
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return self._caches.create(body) if endpoint == "cachedContents.create" else self._caches.patch(cache_id, body)
