"""OpenTelemetry spans (genai_async.instrument / Client(instrument=True)) against the emulator,
collected with the SDK's in-memory span exporter."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import genai_async
from genai_async import errors
from genai_async._resources.models import Models

pytest.importorskip("opentelemetry.sdk")
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

MODEL = "gemini-3.5-flash"
FAST_RETRY = {"attempts": 3, "initial_delay": 0.001, "max_delay": 0.01}


class Spans:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def finished(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def one(self) -> ReadableSpan:
        (span,) = self.finished()
        return span


@pytest.fixture
def spans() -> Iterator[Spans]:
    collected = Spans()
    genai_async.instrument(tracer_provider=collected.provider)
    try:
        yield collected
    finally:
        genai_async.instrument(enabled=False)


def make_client(emulator: Any, **kw: Any) -> genai_async.Client:
    return genai_async.Client(api_key="k", base_url=emulator.base_url, **kw)


def events(span: ReadableSpan, name: str) -> list[Any]:
    return [e for e in span.events if e.name == name]


async def test_generate_content_is_one_span_with_the_conventions_attributes(spans: Spans, gemini_emulator) -> None:
    config = {"temperature": 0.5, "max_output_tokens": 4096, "top_p": 0.9, "stop_sequences": ["END"]}
    async with make_client(gemini_emulator) as client:
        r = await client.models.generate_content(model=MODEL, contents="Hi", config=config)
    span = spans.one()
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    a = dict(span.attributes or {})
    assert a["gen_ai.operation.name"] == "generate_content"
    assert a["gen_ai.provider.name"] == "gcp.gemini"
    assert a["gen_ai.request.model"] == MODEL
    assert a["gen_ai.request.temperature"] == 0.5
    assert a["gen_ai.request.max_tokens"] == 4096
    assert a["gen_ai.request.top_p"] == 0.9
    assert a["gen_ai.request.stop_sequences"] == ("END",)
    assert a["server.address"] == "127.0.0.1"
    usage = r.usage_metadata
    assert usage is not None and usage.prompt_token_count
    assert a["gen_ai.usage.input_tokens"] == usage.prompt_token_count
    assert a["gen_ai.usage.output_tokens"] == (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["gen_ai.response.id"] == r.response_id
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a  # content is opt-in
    assert not events(span, "genai_async.retry")


async def test_stream_span_has_first_chunk_event_and_final_usage(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        async with client.models.generate_content_stream(model=MODEL, contents="Hi") as stream:
            assert not spans.finished()  # open while the stream is
            texts = [chunk.text async for chunk in stream]
            final = stream.response
        assert isinstance(stream, genai_async.ResponseStream)
        assert stream.chunk_count == len(texts) > 1
    span = spans.one()
    a = dict(span.attributes or {})
    assert a["gen_ai.request.stream"] is True
    (first,) = events(span, "gen_ai.response.first_chunk")
    assert 0 <= a["gen_ai.response.time_to_first_chunk"] == first.attributes["gen_ai.response.time_to_first_chunk"]
    assert final.usage_metadata is not None
    assert a["gen_ai.usage.input_tokens"] == final.usage_metadata.prompt_token_count
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert not events(span, "genai_async.closed_early")
    assert span.status.status_code is StatusCode.UNSET


async def test_awaited_stream_shape_is_traced_too(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        chunks = [c async for c in await client.aio.models.generate_content_stream(model=MODEL, contents="Hi")]
    assert chunks
    assert events(spans.one(), "gen_ai.response.first_chunk")


@pytest.mark.parametrize("endpoint", ["generateContent", "streamGenerateContent"])
async def test_retries_are_span_events(spans: Spans, gemini_emulator, endpoint: str) -> None:
    gemini_emulator.queue_error(503, endpoint=endpoint)
    async with make_client(gemini_emulator, retry=FAST_RETRY) as client:
        if endpoint == "generateContent":
            await client.models.generate_content(model=MODEL, contents="Hi")
        else:
            async for _ in await client.models.generate_content_stream(model=MODEL, contents="Hi"):
                pass
    span = spans.one()
    (retry,) = events(span, "genai_async.retry")
    assert retry.attributes["attempt"] == 1
    assert retry.attributes["error.type"] == "503"
    assert 0 <= retry.attributes["wait_s"] <= 0.01
    assert span.status.status_code is StatusCode.UNSET
    assert len(gemini_emulator.requests) == 2


async def test_an_error_is_recorded_and_raised_unchanged(spans: Spans, gemini_emulator) -> None:
    gemini_emulator.queue_error(400, message="bad things")
    async with make_client(gemini_emulator) as client:
        with pytest.raises(errors.ClientError, match="bad things"):
            await client.models.generate_content(model=MODEL, contents="Hi")
    span = spans.one()
    assert span.status.status_code is StatusCode.ERROR
    a = dict(span.attributes or {})
    assert a["error.type"] == "400"
    assert a["http.response.status_code"] == 400
    (exc,) = events(span, "exception")
    assert exc.attributes["exception.type"].endswith("ClientError")


async def test_a_stream_cut_after_chunks_is_an_error_span_with_the_partial_usage(spans: Spans, gemini_emulator) -> None:
    gemini_emulator.queue_fault("drop_mid_event", after_events=2, endpoint="streamGenerateContent")
    async with make_client(gemini_emulator) as client:
        stream = await client.models.generate_content_stream(model=MODEL, contents="Hi")
        with pytest.raises(errors.StreamError):
            async for _ in stream:
                pass
        assert client._transport._live == set()
    span = spans.one()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "genai_async.errors.StreamError"
    assert events(span, "gen_ai.response.first_chunk")


async def test_leaving_a_stream_early_is_not_an_error(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        async with client.models.generate_content_stream(model=MODEL, contents="Hi") as stream:
            async for _ in stream:
                break
        assert client._transport._live == set()
    span = spans.one()
    assert span.status.status_code is StatusCode.UNSET
    (closed,) = events(span, "genai_async.closed_early")
    assert closed.attributes["chunks"] == 1


async def test_content_is_recorded_only_on_opt_in(gemini_emulator) -> None:
    collected = Spans()
    genai_async.instrument(tracer_provider=collected.provider, capture_content=True)
    try:
        async with make_client(gemini_emulator) as client:
            r = await client.models.generate_content(
                model=MODEL, contents="Hi there", config={"system_instruction": "Be brief."}
            )
    finally:
        genai_async.instrument(enabled=False)
    a = dict(collected.one().attributes or {})
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi there"}]}
    ]
    assert json.loads(a["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    (out,) = json.loads(a["gen_ai.output.messages"])
    assert out["role"] == "assistant" and out["finish_reason"] == "stop"
    assert "".join(p["content"] for p in out["parts"] if p["type"] == "text") == r.text


async def test_content_opt_in_by_environment(gemini_emulator, monkeypatch: pytest.MonkeyPatch, spans: Spans) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    async with make_client(gemini_emulator) as client:
        await client.models.generate_content(model=MODEL, contents="Hi")
    assert "gen_ai.input.messages" in dict(spans.one().attributes or {})


async def test_chats_and_embeddings_are_traced(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        chat = client.chats.create(model=MODEL)
        await chat.send_message("Hi")
        async for _ in chat.send_message_stream("And?"):
            pass
        assert len(chat.get_history()) == 4
        await client.models.embed_content(model="models/text-embedding-004", contents=["a", "b"])
    names = [s.name for s in spans.finished()]
    assert names == [f"generate_content {MODEL}"] * 2 + ["embeddings text-embedding-004"]
    assert events(spans.finished()[1], "gen_ai.response.first_chunk")
    assert spans.finished()[2].attributes["gen_ai.request.model"] == "text-embedding-004"


async def test_client_flag_without_global_instrument(gemini_emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace

    collected = Spans()
    monkeypatch.setattr(trace, "get_tracer", lambda *a, **k: collected.provider.get_tracer("genai_async"))
    async with make_client(gemini_emulator, instrument=True) as client:
        await client.models.generate_content(model=MODEL, contents="Hi")
    assert collected.one().name == f"generate_content {MODEL}"


async def test_not_enabled_means_the_plain_client(gemini_emulator) -> None:
    collected = Spans()
    genai_async.instrument(tracer_provider=collected.provider, enabled=False)
    async with make_client(gemini_emulator) as client:
        assert type(client.models) is Models
        assert type(client.models.generate_content_stream(model=MODEL, contents="x")) is genai_async.ResponseStream
        assert type(client._settings.retry).__name__ == "RetryPolicy"
        await client.models.generate_content(model=MODEL, contents="Hi")
    assert collected.finished() == []
    async with make_client(gemini_emulator, instrument=False) as client:
        assert type(client.models) is Models


def test_without_the_extra_instrument_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", None)
    with pytest.raises(errors.ConfigurationError, match=r"genai-async\[otel\]"):
        genai_async.instrument()
    with pytest.raises(errors.ConfigurationError, match=r"genai-async\[otel\]"):
        genai_async.Client(api_key="k", instrument=True)


async def test_the_call_span_is_a_child_of_the_callers_span(spans: Spans, gemini_emulator) -> None:
    tracer = spans.provider.get_tracer("app")
    async with make_client(gemini_emulator) as client:
        with tracer.start_as_current_span("handler") as handler:
            await client.models.generate_content(model=MODEL, contents="Hi")
            async for _ in await client.models.generate_content_stream(model=MODEL, contents="Hi"):
                pass
    unary, stream, outer = spans.finished()
    assert outer.name == "handler"
    for span in (unary, stream):
        assert span.parent is not None and span.parent.span_id == handler.get_span_context().span_id


async def test_cancelling_a_stream_mid_answer_ends_its_span_and_leaks_nothing(spans: Spans, gemini_emulator) -> None:
    gemini_emulator.queue_fault("hang_after_events", after_events=1, endpoint="streamGenerateContent")
    got_one = asyncio.Event()

    async def consume(client: genai_async.Client) -> None:
        async for _ in await client.models.generate_content_stream(model=MODEL, contents="Hi"):
            got_one.set()

    async with make_client(gemini_emulator) as client:
        task = asyncio.create_task(consume(client))
        await got_one.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._transport._live == set()
    span = spans.one()
    assert span.status.status_code is StatusCode.UNSET
    assert events(span, "genai_async.closed_early")
    assert events(span, "gen_ai.response.first_chunk")


async def test_a_stream_dropped_unfinished_still_ends_its_span(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        stream = await client.models.generate_content_stream(model=MODEL, contents="Hi")
        await stream.__anext__()
        del stream
        gc.collect()
        assert client._transport._live == set()
    assert events(spans.one(), "genai_async.closed_early")


def test_opentelemetry_is_not_imported_unless_enabled() -> None:
    code = (
        "import sys, genai_async\n"
        "c = genai_async.Client(api_key='k')\n"
        "assert type(c.models).__name__ == 'Models'\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_bad_input_is_an_error_span_and_no_request(spans: Spans, gemini_emulator) -> None:
    async with make_client(gemini_emulator) as client:
        with pytest.raises(errors.ConfigurationError, match="temprature"):
            await client.models.generate_content(model=MODEL, contents="Hi", config={"temprature": 1})
    span = spans.one()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "genai_async.errors.ConfigurationError"
    assert gemini_emulator.requests == []


async def test_a_streamed_answer_is_recorded_on_opt_in(gemini_emulator) -> None:
    collected = Spans()
    genai_async.instrument(tracer_provider=collected.provider, capture_content=True)
    try:
        async with make_client(gemini_emulator) as client:
            stream = await client.models.generate_content_stream(model=MODEL, contents="Hi")
            async for _ in stream:
                pass
    finally:
        genai_async.instrument(enabled=False)
    a = dict(collected.one().attributes or {})
    (out,) = json.loads(a["gen_ai.output.messages"])
    assert "".join(p["content"] for p in out["parts"] if p["type"] == "text") == stream.response.text
    assert json.loads(a["gen_ai.input.messages"])[0]["parts"] == [{"type": "text", "content": "Hi"}]
