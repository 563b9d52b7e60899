"""Automatic function calling, second pass: parity details with the official SDK and edge cases
found in review (history without calls, aclose while tools run, positional-only parameters)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted
from tests.integration.test_chats import answer, script
from tests.integration.test_function_calling import MODEL, calls, checked_out, get_weather, sse

if TYPE_CHECKING:
    from decimal import Decimal


@dataclasses.dataclass
class Order:
    """A field annotated with a name imported only for type checkers."""

    amount: Decimal


@pytest.fixture
async def client(server: Scripted) -> AsyncIterator[genai_async.Client]:
    c = genai_async.Client(api_key="k", base_url=server.base_url, http_options={"retry_options": {"attempts": 1}})
    try:
        yield c
    finally:
        await c.aclose()


async def test_history_is_empty_when_no_function_was_called(server: Scripted, client: genai_async.Client) -> None:
    """The official SDK sets ``[]`` when AFC ran but no round happened (the history starts with the first round)."""
    script(server, answer("plain"))
    r = await client.models.generate_content(model=MODEL, contents="x", config={"tools": [get_weather]})
    assert r.automatic_function_calling_history == []


async def test_history_is_empty_when_the_only_request_was_the_last_allowed(
    server: Scripted, client: genai_async.Client
) -> None:
    script(server, calls(("get_weather", {"city": "Oslo"})))
    cfg = {"tools": [get_weather], "automatic_function_calling": {"maximum_remote_calls": 1}}
    r = await client.models.generate_content(model=MODEL, contents="x", config=cfg)
    assert r.function_calls is not None and r.automatic_function_calling_history == []


async def test_stream_history_is_empty_when_no_function_was_called(
    server: Scripted, client: genai_async.Client
) -> None:
    script(server, sse(answer("plain")))
    async with client.models.generate_content_stream(model=MODEL, contents="x", config={"tools": [get_weather]}) as s:
        chunks = [c async for c in s]
    assert chunks[0].automatic_function_calling_history is None
    assert s.response.automatic_function_calling_history == []


async def test_aclose_while_tools_run_cancels_them(server: Scripted, client: genai_async.Client) -> None:
    """Another task closes the stream while the reader waits for a tool: the tool is cancelled, no
    further request is sent, and the reader gets the StreamError a closed plain stream gives."""
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        """Slow."""
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    script(server, sse(calls(("slow", {}))), sse(answer("x")))
    stream = await client.models.generate_content_stream(model=MODEL, contents="x", config={"tools": [slow]})

    async def read() -> int:
        return len([c async for c in stream])

    task = asyncio.create_task(read())
    await entered.wait()
    await stream.aclose()
    with pytest.raises(errors.StreamError, match="aclose"):
        await task
    assert cancelled.is_set()
    assert len(server.requests) == 1 and checked_out(client) == 0


async def test_aclose_while_tools_run_in_a_chat_keeps_the_history(server: Scripted, client: genai_async.Client) -> None:
    entered = asyncio.Event()

    async def slow() -> str:
        """Slow."""
        entered.set()
        await asyncio.Event().wait()
        return "never"

    script(server, sse(calls(("slow", {}))), sse(answer("x")))
    chat = client.chats.create(model=MODEL, config={"tools": [slow]})
    stream = await chat.send_message_stream("go")

    async def read() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(read())
    await entered.wait()
    await stream.aclose()
    with pytest.raises(errors.StreamError):
        await task
    assert chat.get_history() == []  # the call turn has no response: nothing is committed
    assert len(server.requests) == 1
    script(server, answer("next"))
    assert (await chat.send_message("again")).text == "next"  # the chat is free again


async def test_positional_only_parameters_are_passed(server: Scripted, client: genai_async.Client) -> None:
    def add(a: int, b: int, /, *, scale: int = 1) -> int:
        """Add two numbers."""
        return (a + b) * scale

    script(server, calls(("add", {"a": 2, "b": 3, "scale": 2})), answer("10"))
    await client.models.generate_content(model=MODEL, contents="x", config={"tools": [add]})
    sent = server.requests[1]["json"]["contents"][2]["parts"][0]["functionResponse"]["response"]
    assert sent == {"result": 10}


async def test_count_tokens_declares_python_functions(server: Scripted, client: genai_async.Client) -> None:
    """Beyond the official SDK (it refuses tools here on the Gemini API): functions are declared in
    the generateContentRequest form, exactly as generate_content declares them, and never called."""
    server.reply_json({"totalTokens": 42})
    manual = {"function_declarations": [{"name": "manual"}]}
    r = await client.models.count_tokens(
        model=MODEL, contents="hi", config={"tools": [manual, {"google_search": {}}, get_weather]}
    )
    assert r.total_tokens == 42
    tools = server.requests[0]["json"]["generateContentRequest"]["tools"]
    assert tools == [
        {"googleSearch": {}},
        {
            "functionDeclarations": [
                {"name": "manual"},
                {
                    "name": "get_weather",
                    "description": "Get the weather in a city.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"city": {"type": "STRING"}, "unit": {"type": "STRING", "default": "c"}},
                        "required": ["city"],
                    },
                },
            ]
        },
    ]


async def test_caches_create_declares_python_functions(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json({"name": "cachedContents/c1", "model": f"models/{MODEL}"})
    await client.caches.create(model=MODEL, config={"contents": "long text", "tools": [get_weather]})
    declared = server.requests[0]["json"]["tools"]
    assert [d["name"] for d in declared[0]["functionDeclarations"]] == ["get_weather"]


@pytest.mark.parametrize("where", ["count_tokens", "caches"])
async def test_bad_tool_in_count_tokens_and_caches_is_named(
    server: Scripted, client: genai_async.Client, where: str
) -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        """No annotation."""

    with pytest.raises(errors.ConfigurationError, match="parameter 'x' has no type annotation"):
        if where == "count_tokens":
            await client.models.count_tokens(model=MODEL, contents="hi", config={"tools": [untyped]})
        else:
            await client.caches.create(model=MODEL, config={"contents": "x", "tools": [untyped]})
    assert server.requests == []


async def test_a_callable_whose_name_the_service_rejects_is_refused(
    server: Scripted, client: genai_async.Client
) -> None:
    """A lambda is named ``<lambda>``: the service would answer 400 for it, so it is refused before sending."""
    with pytest.raises(errors.ConfigurationError, match=r"'<lambda>' is not a valid function name"):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": [lambda: "sunny"]})

    def météo(city: str) -> str:
        """Non-ASCII names are valid Python, not valid Gemini function names."""
        return city

    with pytest.raises(errors.ConfigurationError, match="not a valid function name"):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": [météo]})
    assert server.requests == []


async def test_chat_stream_cut_in_the_second_round_leaves_the_history(
    server: Scripted, client: genai_async.Client
) -> None:
    """A failure mid-AFC (the round-2 stream is cut after a chunk) raises with the partial answer
    and leaves the chat as it was: a failed turn is not a stop."""
    cut = sse({"candidates": [{"content": {"role": "model", "parts": [{"text": "Cold"}]}, "index": 0}]})
    script(server, sse(calls(("get_weather", {"city": "Oslo"}))), lambda: server.reply_stream(cut, abort=True))
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    seen = []
    with pytest.raises(errors.StreamError) as caught:
        async with chat.send_message_stream("Weather?") as stream:
            async for chunk in stream:
                seen.append(chunk)
    assert len(seen) == 2 and seen[1].automatic_function_calling_history is not None
    assert caught.value.partial.text == "Cold"  # type: ignore[attr-defined]
    assert chat.get_history() == [] and checked_out(client) == 0
    script(server, answer("again"))
    assert (await chat.send_message("Weather?")).text == "again"


async def test_an_annotation_naming_a_local_class_says_how_to_fix_it(
    server: Scripted, client: genai_async.Client
) -> None:
    """With ``from __future__ import annotations`` (this module) annotations are strings resolved in
    the function's module: a class defined inside a function cannot be found."""

    class Local(msgspec.Struct):
        n: int

    def use(x: Local) -> int:
        """Uses a local class."""
        return x.n

    with pytest.raises(
        errors.ConfigurationError, match=r"tool use: cannot resolve the annotation 'Local'.*module level"
    ):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": [use]})
    assert server.requests == []


async def test_a_field_annotation_that_cannot_be_resolved_is_a_configuration_error(
    server: Scripted, client: genai_async.Client
) -> None:
    def place(order: Order) -> str:
        """Place an order."""
        return "ok"

    with pytest.raises(
        errors.ConfigurationError, match=r"tool place: parameter 'order'.*cannot resolve the annotation 'Decimal'"
    ):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": [place]})
    assert server.requests == []


class _Resource:
    """Stands for what a per-request tool closes over (a DB session, the user's data...)."""


async def test_per_request_closures_are_not_kept_alive(server: Scripted, client: genai_async.Client) -> None:
    """A web backend builds its tools per request as closures; the declaration cache must not keep
    them (and what they capture) alive after the request, for plain functions, bound methods and
    callable objects alike."""

    def make_tools(resource: _Resource) -> list[Any]:
        def lookup(city: str) -> str:
            """Look something up."""
            return f"{city}: {id(resource)}"

        class Holder:
            def __init__(self) -> None:
                self.resource = resource

            def fetch(self, key: str) -> str:
                """Fetch a key."""
                return key

            async def __call__(self, n: int) -> int:
                return n

        holder = Holder()
        holder.__name__ = "count"  # type: ignore[attr-defined]
        return [lookup, holder.fetch, holder]

    resource = _Resource()
    alive = weakref.ref(resource)
    script(server, calls(("lookup", {"city": "Oslo"}), ("fetch", {"key": "k"}), ("count", {"n": 2})), answer("ok"))
    r = await client.models.generate_content(model=MODEL, contents="x", config={"tools": make_tools(resource)})
    assert r.text == "ok"
    responses = [p["functionResponse"]["response"] for p in server.requests[1]["json"]["contents"][2]["parts"]]
    assert responses[1:] == [{"result": "k"}, {"result": 2}]
    del resource, r
    gc.collect()
    assert alive() is None
