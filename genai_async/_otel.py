"""OpenTelemetry spans for model calls (the ``otel`` extra), after the GenAI semantic conventions.

Off unless asked for: :func:`instrument` turns it on for every client built afterwards,
``Client(instrument=True)`` for one client. Nothing here imports ``opentelemetry`` before that.

The one seam: ``Client.__init__`` hands an instrumented client to :func:`instrument_client`, which
gives it :class:`TracedModels` (``client.models``, so chats too) and a retry policy that reports
each retry. A client that is not instrumented runs exactly the code it ran before: no flag is
checked on any request path, so tracing costs nothing when it is off (benchmarks/instructions.py).

Each ``generate_content``, ``generate_content_stream`` (and chat message) and ``embed_content``
call is one CLIENT span named ``"{operation} {model}"``:
- attributes: ``gen_ai.operation.name``, ``gen_ai.provider.name`` (``gcp.gemini``),
  ``gen_ai.request.*`` from the config, ``server.address``/``server.port``, and from the answer
  ``gen_ai.response.id``/``model``/``finish_reasons`` and ``gen_ai.usage.*`` (output tokens include
  thinking tokens, which Gemini bills as output; ``gen_ai.usage.reasoning.output_tokens`` has them);
- events: ``gen_ai.response.first_chunk`` for a stream (also the attribute
  ``gen_ai.response.time_to_first_chunk``, seconds), ``genai_async.retry`` before each retry (attempt,
  wait, the error), ``genai_async.closed_early`` when the caller stopped first (break, ``aclose()``,
  cancellation: not an error);
- a failure sets ``error.type`` (the HTTP code, or the exception's class), the ERROR status and an
  exception event;
- prompts and answers (``gen_ai.input.messages``, ``gen_ai.output.messages``,
  ``gen_ai.system_instructions``) only with ``capture_content=True`` or
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``; bytes are never recorded.

Left out: metrics, and retry events of a request whose own ``http_options.retry_options`` replace the
client's retry policy (the attempts still show in ``exc.attempts``).
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import os
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from random import Random
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._coerce import generate_config
from ._contents import has_paths, to_content, to_contents
from ._resources.models import Models
from ._retry import RetryPolicy
from ._streaming import ResponseStream
from ._version import __version__
from .errors import APIError, ConfigurationError, GenAIError, TimeoutError
from .types import Content, EmbedContentResponse, GenerateContentConfig, GenerateContentRequest, GenerateContentResponse

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from ._client import Client

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_MISSING = "OpenTelemetry is not installed: pip install 'genai-async[otel]' (and an SDK/exporter to see spans)"


@dataclasses.dataclass
class _Options:
    enabled: bool = False
    tracer_provider: Any = None
    capture_content: bool | None = None


OPTIONS = _Options()
"""What :func:`instrument` set; read once per client, in ``Client.__init__``."""


def instrument(
    *, tracer_provider: TracerProvider | None = None, capture_content: bool | None = None, enabled: bool = True
) -> None:
    """Trace every model call of the clients created from now on as OpenTelemetry spans.

    ``tracer_provider``: where spans go (default: the global provider). ``capture_content``: also
    record prompts and answers (default: the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    environment variable, else off). ``enabled=False`` turns it off again for later clients.
    Needs the ``otel`` extra: ``pip install 'genai-async[otel]'``.
    """
    if enabled:
        _require()
    OPTIONS.enabled = enabled
    OPTIONS.tracer_provider = tracer_provider
    OPTIONS.capture_content = capture_content


def _require() -> None:
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(_MISSING) from exc


def instrument_client(client: Client) -> None:
    """Make ``client`` trace its model calls (called by ``Client.__init__``: the one seam)."""
    global _OTEL_CONTEXT
    _require()
    from opentelemetry import context, trace

    _OTEL_CONTEXT = context  # (a function-level import per chunk would cost more than the rest)
    tracer = trace.get_tracer("genai_async", __version__, tracer_provider=OPTIONS.tracer_provider)
    capture = OPTIONS.capture_content
    if capture is None:
        capture = os.environ.get(CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes")
    parts = urlsplit(client.base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    server = {"server.address": parts.hostname or "", "server.port": port}
    client.models = TracedModels(client, tracer, capture, server)
    policy = client._settings.retry
    if policy is not None:
        traced = _TracedRetry(**{f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)})
        client._settings = dataclasses.replace(client._settings, retry=traced)


# ------------------------------------------------------------------ one call's span

_OTEL_CONTEXT: Any = None
"""``opentelemetry.context``, once a client was instrumented."""

_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("genai_async_otel_call", default=None)
"""The traced call running in this task: retry decisions report to it."""


class _Call:
    """The span of one model call, from its first request to its answer, error or abandonment."""

    __slots__ = ("tracer", "name", "attributes", "capture", "span", "context", "started", "first_chunk", "ended")

    def __init__(self, tracer: Tracer, operation: str, model: str, attributes: dict[str, Any], capture: bool) -> None:
        model = str(model).removeprefix("models/")
        self.tracer = tracer
        self.name = f"{operation} {model}"
        self.attributes = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": "gcp.gemini",
            "gen_ai.request.model": model,
            **attributes,
        }
        self.capture = capture
        self.span: Span | None = None
        self.context: Any = None  # the OpenTelemetry Context holding the span, once it began
        self.started = 0.0
        self.first_chunk = False
        self.ended = False

    def begin(self) -> Span:
        if self.span is None:
            from opentelemetry import trace

            self.span = self.tracer.start_span(self.name, kind=trace.SpanKind.CLIENT, attributes=self.attributes)
            self.context = trace.set_span_in_context(self.span)
            self.started = time.monotonic()
        return self.span

    def enter(self) -> tuple[Any, contextvars.Token[_Call | None]]:
        """Make the span the current one (HTTP-level spans nest under it, retries report to it)."""
        if self.span is None:
            self.begin()
        return _OTEL_CONTEXT.attach(self.context), _CURRENT.set(self)

    def leave(self, tokens: tuple[Any, contextvars.Token[_Call | None]]) -> None:
        _CURRENT.reset(tokens[1])
        _OTEL_CONTEXT.detach(tokens[0])

    @contextmanager
    def running(self) -> Iterator[None]:
        """Inside: the span is current; an error ends it, a cancellation ends it as closed early."""
        tokens = self.enter()
        try:
            yield
        except Exception as exc:
            self.fail(exc)
            raise
        except BaseException:  # cancelled (or interrupted): the caller stopped waiting, nothing failed
            self.closed_early()
            raise
        finally:
            self.leave(tokens)

    def chunk(self) -> None:
        if not self.first_chunk and self.span is not None:
            self.first_chunk = True
            waited = time.monotonic() - self.started
            self.span.set_attribute("gen_ai.response.time_to_first_chunk", waited)
            self.span.add_event("gen_ai.response.first_chunk", {"gen_ai.response.time_to_first_chunk": waited})

    def retry(self, exc: GenAIError, attempt: int, wait: float) -> None:
        if self.span is not None and not self.ended:
            self.span.add_event(
                "genai_async.retry",
                {"attempt": attempt, "wait_s": wait, "error.type": _error_type(exc), "error.message": str(exc)[:500]},
            )

    def succeed(self, response: GenerateContentResponse | EmbedContentResponse) -> None:
        if self.span is None or self.ended:
            return
        self.ended = True
        if isinstance(response, GenerateContentResponse):
            self.span.set_attributes(_response_attributes(response))
            if self.capture:
                self.span.set_attribute("gen_ai.output.messages", _output_messages(response))
        self.span.end()

    def fail(self, exc: Exception) -> None:
        if self.span is None or self.ended:
            return
        from opentelemetry.trace import Status, StatusCode

        self.ended = True
        span = self.span
        span.set_attribute("error.type", _error_type(exc))
        if isinstance(exc, APIError):
            span.set_attribute("http.response.status_code", exc.code)
        partial = getattr(exc, "partial", None)
        if isinstance(partial, GenerateContentResponse):  # what came before the failure (usage so far)
            span.set_attributes(_response_attributes(partial))
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:1000]))
        span.end()

    def closed_early(self, chunks: int | None = None) -> None:
        if self.span is None or self.ended:
            return
        self.ended = True
        self.span.add_event("genai_async.closed_early", {} if chunks is None else {"chunks": chunks})
        self.span.end()


def _error_type(exc: BaseException) -> str:
    if isinstance(exc, APIError):
        return str(exc.code)
    if isinstance(exc, TimeoutError):
        return "timeout"
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


@dataclasses.dataclass(frozen=True)
class _TracedRetry(RetryPolicy):
    """The client's retry policy, unchanged, telling the traced call in this task about each retry."""

    def delay(self, exc: GenAIError, attempt: int, method: str, rng: Random, now: float | None = None) -> float | None:
        wait = super().delay(exc, attempt, method, rng, now)
        call = _CURRENT.get()
        if wait is not None and call is not None:
            call.retry(exc, attempt, wait)
        return wait


# ------------------------------------------------------------------ the traced resources


class TracedModels(Models):
    """``client.models`` of an instrumented client: the same calls, each inside its span."""

    def __init__(self, client: Client, tracer: Tracer, capture: bool, server: dict[str, Any]) -> None:
        super().__init__(client)
        self._tracer = tracer
        self._capture = capture
        self._server = server

    def _trace_call(self, operation: str, model: str, config: Any, contents: Any = None) -> _Call:
        attributes = dict(self._server)
        cfg = _config_or_none(config)
        if cfg is not None:
            attributes.update(_request_attributes(cfg))
        if self._capture:
            attributes.update(_input_attributes(contents, cfg))
        return _Call(self._tracer, operation, model, attributes, self._capture)

    async def generate_content(
        self, *, model: str, contents: Any, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> GenerateContentResponse:
        call = self._trace_call("generate_content", model, config, contents)
        with call.running():
            response = await super().generate_content(model=model, contents=contents, config=config)
        call.succeed(response)
        return response

    def generate_content_stream(
        self, *, model: str, contents: Any, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> ResponseStream:
        inner = super().generate_content_stream(model=model, contents=contents, config=config)
        call = self._trace_call("generate_content", model, config, contents)
        call.attributes["gen_ai.request.stream"] = True
        return TracedStream(inner, call)

    def _stream(
        self,
        model: str,
        cfg: GenerateContentConfig | None,
        make_request: Callable[[], Awaitable[GenerateContentRequest]],
        *,
        on_complete: Callable[[GenerateContentResponse], Any] | None = None,
        on_close: Callable[[bool, GenerateContentResponse | None], Any] | None = None,
    ) -> ResponseStream:
        inner = super()._stream(model, cfg, make_request, on_complete=on_complete, on_close=on_close)
        call = self._trace_call("generate_content", model, cfg)  # (a chat's turn: its contents are built on open)
        call.attributes["gen_ai.request.stream"] = True
        return TracedStream(inner, call)

    async def embed_content(self, *, model: str, contents: Any, config: Any = None) -> EmbedContentResponse:
        call = self._trace_call("embeddings", model, None)
        with call.running():
            response = await super().embed_content(model=model, contents=contents, config=config)
        call.succeed(response)
        return response


class TracedStream(ResponseStream):
    """A :class:`ResponseStream` whose call is one span: it drives the stream it wraps.

    Every public method is its own; any other attribute is read from the wrapped stream."""

    __slots__ = ("_inner", "_trace")

    def __init__(self, inner: ResponseStream, call: _Call) -> None:  # (no super().__init__: nothing of its own)
        self._inner = inner
        self._trace = call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return repr(self._inner)

    def __await__(self) -> Generator[Any, None, ResponseStream]:
        return self._traced_open().__await__()

    async def _traced_open(self) -> ResponseStream:
        with self._trace.running():
            await self._inner
        return self

    async def __aenter__(self) -> ResponseStream:
        return await self._traced_open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._inner.aclose()
        self._trace.closed_early(self._inner.chunk_count)  # (a no-op once the span ended)

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> GenerateContentResponse:
        trace = self._trace  # (running() written out: this runs for every chunk)
        tokens = trace.enter()
        try:
            chunk = await self._inner.__anext__()
        except StopAsyncIteration:
            trace.succeed(self._inner.response)
            raise
        except Exception as exc:
            trace.fail(exc)
            raise
        except BaseException:  # cancelled: the caller stopped, nothing failed
            trace.closed_early()
            raise
        finally:
            trace.leave(tokens)
        if not trace.first_chunk:
            trace.chunk()
        return chunk

    @property
    def response(self) -> GenerateContentResponse:
        return self._inner.response

    @property
    def chunk_count(self) -> int:
        return self._inner.chunk_count

    def __del__(self) -> None:  # dropped unfinished: the wrapped stream closes its own connection
        trace = getattr(self, "_trace", None)
        if trace is not None:
            trace.closed_early()


# ------------------------------------------------------------------ attributes

_REQUEST = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "max_output_tokens": "gen_ai.request.max_tokens",
    "stop_sequences": "gen_ai.request.stop_sequences",
    "seed": "gen_ai.request.seed",
    "candidate_count": "gen_ai.request.choice.count",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
}


def _config_or_none(config: Any) -> GenerateContentConfig | None:
    try:
        return generate_config(config)
    except Exception:  # the call itself raises the ConfigurationError, inside its span
        return None


def _request_attributes(cfg: GenerateContentConfig) -> dict[str, Any]:
    attributes = {}
    for field, key in _REQUEST.items():
        value = getattr(cfg, field, None)
        if value is not None:
            attributes[key] = list(value) if isinstance(value, list) else value
    return attributes


def _response_attributes(response: GenerateContentResponse) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if response.response_id:
        attributes["gen_ai.response.id"] = response.response_id
    if response.model_version:
        attributes["gen_ai.response.model"] = response.model_version
    reasons = [_reason(c.finish_reason) for c in response.candidates or () if c.finish_reason is not None]
    if reasons:
        attributes["gen_ai.response.finish_reasons"] = reasons
    usage = response.usage_metadata
    if usage is not None:
        if usage.prompt_token_count is not None:
            attributes["gen_ai.usage.input_tokens"] = usage.prompt_token_count
        if usage.candidates_token_count is not None or usage.thoughts_token_count is not None:
            output = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
            attributes["gen_ai.usage.output_tokens"] = output
        if usage.thoughts_token_count:
            attributes["gen_ai.usage.reasoning.output_tokens"] = usage.thoughts_token_count
        if usage.cached_content_token_count:
            attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cached_content_token_count
    return attributes


def _reason(reason: Any) -> str:
    return str(getattr(reason, "value", reason)).lower()


def _input_attributes(contents: Any, cfg: GenerateContentConfig | None) -> dict[str, Any]:
    attributes = {}
    if contents is not None and not has_paths(contents):
        try:
            turns = to_contents(contents)
        except Exception:  # the call raises the ConfigurationError itself
            turns = []
        attributes["gen_ai.input.messages"] = json.dumps([_message(t, "user") for t in turns])
    system = cfg.system_instruction if cfg is not None else None
    if system is not None:
        try:
            content = to_content(system, "config.system_instruction")
        except Exception:  # as above
            return attributes
        attributes["gen_ai.system_instructions"] = json.dumps([_part(p) for p in content.parts or ()])
    return attributes


def _output_messages(response: GenerateContentResponse) -> str:
    messages = []
    for candidate in response.candidates or ():
        message = _message(candidate.content, "assistant") if candidate.content is not None else {"parts": []}
        message["role"] = "assistant"
        if candidate.finish_reason is not None:
            message["finish_reason"] = _reason(candidate.finish_reason)
        messages.append(message)
    return json.dumps(messages)


def _message(content: Content, default_role: str) -> dict[str, Any]:
    role = content.role or default_role
    return {"role": "assistant" if role == "model" else role, "parts": [_part(p) for p in content.parts or ()]}


def _part(part: Any) -> dict[str, Any]:
    """One part in the conventions' message shape; bytes are described, never copied."""
    if part.text is not None:
        return {"type": "reasoning" if part.thought else "text", "content": part.text}
    if part.function_call is not None:
        call = part.function_call
        return {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.args}
    if part.function_response is not None:
        reply = part.function_response
        return {"type": "tool_call_response", "id": reply.id, "response": reply.response}
    if part.inline_data is not None:
        return {"type": "blob", "mime_type": part.inline_data.mime_type}
    if part.file_data is not None:
        return {"type": "uri", "mime_type": part.file_data.mime_type, "uri": part.file_data.file_uri}
    return {"type": "other"}
