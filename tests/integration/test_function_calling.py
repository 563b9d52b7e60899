"""Automatic function calling over a real socket: exact request bodies, parallel calls, errors,
timeouts, cancellation, limits, streams and chats."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

import genai_async
from genai_async import errors, types
from tests.conftest import Scripted
from tests.integration.test_chats import answer, script

MODEL = "gemini-3.5-flash"
SIG = base64.b64encode(b"\x01signature-bytes\xff").decode()


@pytest.fixture
async def client(server: Scripted) -> AsyncIterator[genai_async.Client]:
    c = genai_async.Client(api_key="k", base_url=server.base_url, http_options={"retry_options": {"attempts": 1}})
    try:
        yield c
    finally:
        await c.aclose()


def calls(*pairs: tuple[str, dict[str, Any]], ids: bool = False) -> dict[str, Any]:
    """An answer calling each (name, args), the first part signed, as Gemini 3 sends it."""
    parts = []
    for i, (name, args) in enumerate(pairs):
        call: dict[str, Any] = {"name": name, "args": args}
        if ids:
            call["id"] = f"call-{i}"
        parts.append({"functionCall": call, **({"thoughtSignature": SIG} if i == 0 else {})})
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "modelVersion": MODEL,
    }


def checked_out(client: genai_async.Client) -> int:
    """Connections held by a response in flight (idle pooled ones do not count)."""
    session = client._transport._session
    return 0 if session is None or session.connector is None else len(session.connector._acquired)  # type: ignore[attr-defined]


def sse(*bodies: dict[str, Any]) -> list[bytes]:
    return [f"data: {json.dumps(b)}\r\n\r\n".encode() for b in bodies]


def get_weather(city: str, unit: str = "c") -> dict[str, Any]:
    """Get the weather in a city."""
    return {"city": city, "temp": 21, "unit": unit}


async def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:00 in {city}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


# ---------------------------------------------------------------------------- unary


async def test_two_parallel_calls_exact_request_body(server: Scripted, client: genai_async.Client) -> None:
    script(server, calls(("get_weather", {"city": "Zurich"}), ("get_time", {"city": "Bern"}), ids=True), answer("Done"))
    cfg = types.GenerateContentConfig(tools=[get_weather, get_time], temperature=0.5)
    r = await client.models.generate_content(model=MODEL, contents="Weather and time?", config=cfg)
    assert r.text == "Done"
    first, second = (req["json"] for req in server.requests)
    declared = [
        {
            "name": "get_weather",
            "description": "Get the weather in a city.",
            "parameters": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}, "unit": {"type": "STRING", "default": "c"}},
                "required": ["city"],
            },
        },
        {
            "name": "get_time",
            "description": "Get the local time in a city.",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
        },
    ]
    assert first == {
        "contents": [user("Weather and time?")],
        "tools": [{"functionDeclarations": declared}],
        "generationConfig": {"temperature": 0.5},
    }
    assert second["contents"] == [
        user("Weather and time?"),
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"id": "call-0", "name": "get_weather", "args": {"city": "Zurich"}},
                    "thoughtSignature": SIG,
                },
                {"functionCall": {"id": "call-1", "name": "get_time", "args": {"city": "Bern"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "call-0",
                        "name": "get_weather",
                        "response": {"result": {"city": "Zurich", "temp": 21, "unit": "c"}},
                    }
                },
                {"functionResponse": {"id": "call-1", "name": "get_time", "response": {"result": "10:00 in Bern"}}},
            ],
        },
    ]
    assert second["tools"] == first["tools"]
    history = r.automatic_function_calling_history
    assert history is not None and [c.role for c in history] == ["user", "model", "user"]
    assert history[1].parts is not None and history[1].parts[0].thought_signature == base64.b64decode(SIG)


async def test_call_without_id_gets_no_id(server: Scripted, client: genai_async.Client) -> None:
    script(server, calls(("get_weather", {"city": "Zurich"})), answer("ok"))
    await client.models.generate_content(model=MODEL, contents="x", config={"tools": [get_weather]})
    response_part = server.requests[1]["json"]["contents"][2]["parts"][0]["functionResponse"]
    assert "id" not in response_part


async def test_declarations_and_callables_are_merged_into_one_tool(
    server: Scripted, client: genai_async.Client
) -> None:
    script(server, answer("plain"))
    manual = types.Tool(function_declarations=[types.FunctionDeclaration(name="manual", description="m")])
    await client.models.generate_content(
        model=MODEL, contents="x", config={"tools": [manual, {"google_search": {}}, get_weather]}
    )
    tools = server.requests[0]["json"]["tools"]
    assert tools[0] == {"googleSearch": {}}
    assert [d["name"] for d in tools[1]["functionDeclarations"]] == ["manual", "get_weather"]


async def test_calls_run_concurrently(server: Scripted, client: genai_async.Client) -> None:
    """Each tool waits for the other to start: run one after another, this would never finish."""
    started = {"a": asyncio.Event(), "b": asyncio.Event()}
    thread_ran = threading.Event()

    async def tool_a() -> str:
        """A."""
        started["a"].set()
        await started["b"].wait()
        return "a"

    async def tool_b() -> str:
        """B."""
        started["b"].set()
        await started["a"].wait()
        return "b"

    def tool_c() -> str:
        """C, sync: runs in a worker thread."""
        thread_ran.set()
        return threading.current_thread().name

    script(server, calls(("tool_a", {}), ("tool_b", {}), ("tool_c", {})), answer("ok"))
    cfg = types.GenerateContentConfig(tools=[tool_a, tool_b, tool_c])
    await asyncio.wait_for(client.models.generate_content(model=MODEL, contents="x", config=cfg), 30)
    parts = server.requests[1]["json"]["contents"][2]["parts"]
    results = [p["functionResponse"]["response"]["result"] for p in parts]
    assert results[:2] == ["a", "b"] and results[2] != threading.current_thread().name
    assert thread_ran.is_set()


async def test_raising_tool_and_bad_arguments_go_back_as_errors(server: Scripted, client: genai_async.Client) -> None:
    def explode(reason: str) -> str:
        """Fails."""
        raise RuntimeError(f"boom: {reason}")

    def count(n: int) -> int:
        """Counts."""
        return n

    script(server, calls(("explode", {"reason": "x"}), ("count", {"n": "many"}), ("count", {"n": 2.0})), answer("ok"))
    r = await client.models.generate_content(model=MODEL, contents="x", config={"tools": [explode, count]})
    assert r.text == "ok"
    responses = [p["functionResponse"]["response"] for p in server.requests[1]["json"]["contents"][2]["parts"]]
    assert responses[0] == {"error": "boom: x"}
    assert "bad arguments" in responses[1]["error"] and "'n'" in responses[1]["error"]
    assert responses[2] == {"result": 2}


async def test_unserialisable_result_is_an_error_for_the_model(server: Scripted, client: genai_async.Client) -> None:
    def opaque() -> object:
        """Returns an object."""
        return object()

    script(server, calls(("opaque", {})), answer("ok"))
    await client.models.generate_content(model=MODEL, contents="x", config={"tools": [opaque]})
    response = server.requests[1]["json"]["contents"][2]["parts"][0]["functionResponse"]["response"]
    assert "cannot be sent to the model as JSON" in response["error"]


async def test_call_timeout_answers_with_an_error(server: Scripted, client: genai_async.Client) -> None:
    cancelled = asyncio.Event()

    async def hang() -> str:
        """Never returns."""
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    script(server, calls(("hang", {}), ("get_weather", {"city": "Rome"})), answer("ok"))
    cfg = {"tools": [hang, get_weather], "automatic_function_calling": {"call_timeout": 0.05}}
    await client.models.generate_content(model=MODEL, contents="x", config=cfg)
    responses = [p["functionResponse"]["response"] for p in server.requests[1]["json"]["contents"][2]["parts"]]
    assert "did not finish within 0.05 s" in responses[0]["error"]
    assert responses[1]["result"]["city"] == "Rome"
    assert cancelled.is_set()


async def test_cancelling_the_caller_cancels_running_tools(server: Scripted, client: genai_async.Client) -> None:
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

    script(server, calls(("slow", {}), ("slow2", {})), answer("ok"))

    async def slow2() -> str:
        """Also slow."""
        await asyncio.Event().wait()
        return "never"

    task = asyncio.create_task(
        client.models.generate_content(model=MODEL, contents="x", config={"tools": [slow, slow2]})
    )
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert len(server.requests) == 1
    assert checked_out(client) == 0


async def test_maximum_remote_calls_counts_requests(server: Scripted, client: genai_async.Client) -> None:
    invoked = []

    def step(n: int) -> int:
        """Step."""
        invoked.append(n)
        return n

    script(server, calls(("step", {"n": 1})), calls(("step", {"n": 2})), calls(("step", {"n": 3})))
    cfg = {"tools": [step], "automatic_function_calling": {"maximum_remote_calls": 3}}
    r = await client.models.generate_content(model=MODEL, contents="x", config=cfg)
    assert len(server.requests) == 3
    assert invoked == [1, 2]  # the last answer's call is returned, not executed
    assert r.function_calls is not None and r.function_calls[0].args == {"n": 3}
    assert r.automatic_function_calling_history is not None and len(r.automatic_function_calling_history) == 5


@pytest.mark.parametrize("afc", [{"disable": True}, {"maximum_remote_calls": 0}])
async def test_disabled_afc_declares_but_never_calls(server: Scripted, client: genai_async.Client, afc: Any) -> None:
    def boom() -> None:
        """Must not run."""
        raise AssertionError("called")

    script(server, calls(("boom", {})))
    r = await client.models.generate_content(
        model=MODEL, contents="x", config={"tools": [boom], "automatic_function_calling": afc}
    )
    assert len(server.requests) == 1
    assert server.requests[0]["json"]["tools"][0]["functionDeclarations"][0]["name"] == "boom"
    assert r.function_calls is not None and r.automatic_function_calling_history is None


async def test_ignore_call_history(server: Scripted, client: genai_async.Client) -> None:
    script(server, calls(("get_weather", {"city": "Oslo"})), answer("ok"))
    cfg = {"tools": [get_weather], "automatic_function_calling": {"ignore_call_history": True}}
    r = await client.models.generate_content(model=MODEL, contents="x", config=cfg)
    assert r.text == "ok" and r.automatic_function_calling_history is None


async def test_call_to_an_undeclared_callable_is_returned(server: Scripted, client: genai_async.Client) -> None:
    manual = types.Tool(function_declarations=[types.FunctionDeclaration(name="manual")])
    script(server, calls(("manual", {"a": 1})))
    r = await client.models.generate_content(model=MODEL, contents="x", config={"tools": [manual, get_weather]})
    assert len(server.requests) == 1
    assert r.function_calls is not None and r.function_calls[0].name == "manual"


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([42], r"config.tools\[0\] is a int; pass a types.Tool"),
        ([get_weather, get_weather], "already defined"),
        ([{"function_declarations": [{"name": "get_weather"}]}, get_weather], "'get_weather' more than once"),
    ],
)
async def test_bad_tools_raise_before_any_request(
    server: Scripted, client: genai_async.Client, tools: list[Any], message: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=message):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": tools})
    assert server.requests == []


async def test_bad_call_timeout_is_refused(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match="call_timeout"):
        await client.models.generate_content(
            model=MODEL,
            contents="x",
            config={"tools": [get_weather], "automatic_function_calling": {"call_timeout": 0}},
        )


async def test_http_error_in_second_round_raises(server: Scripted, client: genai_async.Client) -> None:
    script(
        server,
        calls(("get_weather", {"city": "Oslo"})),
        (500, {"error": {"code": 500, "message": "x", "status": "INTERNAL"}}),
    )
    with pytest.raises(errors.ServerError):
        await client.models.generate_content(model=MODEL, contents="x", config={"tools": [get_weather]})
    assert checked_out(client) == 0


# ---------------------------------------------------------------------------- streams


async def test_stream_yields_every_round(server: Scripted, client: genai_async.Client) -> None:
    first_round = calls(("get_weather", {"city": "Lima"}))
    script(
        server,
        sse(first_round),
        sse(
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "Sunny "}]}, "index": 0}]},
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": "in Lima"}]}, "finishReason": "STOP", "index": 0}
                ]
            },
        ),
    )
    stream = client.models.generate_content_stream(model=MODEL, contents="Weather?", config={"tools": [get_weather]})
    assert isinstance(stream, genai_async.ResponseStream)
    async with stream:
        chunks = [c async for c in stream]
    assert [c.function_calls is not None for c in chunks] == [True, False, False]
    assert chunks[0].automatic_function_calling_history is None
    assert chunks[1].automatic_function_calling_history is not None
    final = stream.response
    assert final.text == "Sunny in Lima" and stream.chunk_count == 3
    assert final.automatic_function_calling_history is not None
    assert [c.role for c in final.automatic_function_calling_history] == ["user", "model", "user"]
    sent = server.requests[1]["json"]["contents"]
    assert sent[1]["parts"][0]["thoughtSignature"] == SIG
    assert sent[2]["parts"][0]["functionResponse"]["response"]["result"]["city"] == "Lima"
    assert checked_out(client) == 0


async def test_stream_break_between_rounds_closes(server: Scripted, client: genai_async.Client) -> None:
    script(server, sse(calls(("get_weather", {"city": "Lima"}))), sse(answer("x")))
    async with client.models.generate_content_stream(model=MODEL, contents="W", config={"tools": [get_weather]}) as s:
        async for _ in s:
            break
    assert len(server.requests) == 1 and checked_out(client) == 0


async def test_stream_bad_tools_raise_on_open(server: Scripted, client: genai_async.Client) -> None:
    stream = client.models.generate_content_stream(model=MODEL, contents="W", config={"tools": [get_weather, 3]})
    with pytest.raises(errors.ConfigurationError):
        await stream
    assert server.requests == []


# ---------------------------------------------------------------------------- chats


async def test_chat_keeps_every_round_and_replays_them(server: Scripted, client: genai_async.Client) -> None:
    script(server, calls(("get_weather", {"city": "Oslo"})), answer("Cold"), answer("Bye"))
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    r = await chat.send_message("Weather in Oslo?")
    assert r.text == "Cold"
    roles = [c.role for c in chat.get_history()]
    assert roles == ["user", "model", "user", "model"]
    await chat.send_message("Thanks")
    sent = server.requests[2]["json"]["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user", "model", "user"]
    assert sent[1]["parts"][0]["thoughtSignature"] == SIG
    assert "functionResponse" in sent[2]["parts"][0]


async def test_chat_stream_keeps_every_round(server: Scripted, client: genai_async.Client) -> None:
    script(server, sse(calls(("get_weather", {"city": "Oslo"}))), sse(answer("Cold")))
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    async for _ in await chat.send_message_stream("Weather?"):
        pass
    assert [c.role for c in chat.get_history()] == ["user", "model", "user", "model"]
    assert chat.get_history()[-1].parts[0].text == "Cold"  # type: ignore[index]


async def test_chat_curates_a_blocked_final_answer_with_its_rounds(
    server: Scripted, client: genai_async.Client
) -> None:
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}}
    script(server, calls(("get_weather", {"city": "Oslo"})), blocked, answer("fine"))
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    await chat.send_message("Weather?")
    assert len(chat.get_history()) == 4 and chat.get_history(curated=True) == []
    await chat.send_message("again")
    assert server.requests[2]["json"]["contents"] == [user("again")]


async def test_chat_stop_during_second_round_keeps_complete_rounds(
    server: Scripted, client: genai_async.Client
) -> None:
    script(
        server,
        sse(calls(("get_weather", {"city": "Oslo"}))),
        sse(
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "Cold "}]}, "index": 0}]},
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": "and dark"}]}, "finishReason": "STOP", "index": 0}
                ]
            },
        ),
    )
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    async with chat.send_message_stream("Weather?") as stream:
        async for chunk in stream:
            if chunk.text:
                break
    history = chat.get_history()
    assert [c.role for c in history] == ["user", "model", "user", "model"]
    assert history[-1].parts is not None and history[-1].parts[0].text == "Cold "


async def test_chat_stop_before_the_tools_ran_keeps_nothing(server: Scripted, client: genai_async.Client) -> None:
    script(server, sse(calls(("get_weather", {"city": "Oslo"}))))
    chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
    async with chat.send_message_stream("Weather?") as stream:
        async for _ in stream:
            break
    assert chat.get_history() == []


async def test_emulator_runs_a_two_round_conversation() -> None:
    from genai_async.emulator import running

    def get_location() -> str:
        """Where the user is."""
        return "Zurich"

    async with running() as emu, genai_async.Client(api_key="k", base_url=emu.base_url) as c:
        r = await c.models.generate_content(
            model=MODEL, contents="Call get_location, then get_weather", config={"tools": [get_location, get_weather]}
        )
        history = r.automatic_function_calling_history
        assert history is not None
        called = [p.function_call for c in history for p in c.parts or () if p.function_call]
        assert [c.name for c in called] == ["get_location", "get_weather"]
        assert called[1].args is not None and called[1].args["city"] == "Zurich"  # from get_location's result
        assert r.text and "get_weather" in r.text


async def test_emulator_answers_parallel_calls() -> None:
    from genai_async.emulator import running

    async with running() as emu, genai_async.Client(api_key="k", base_url=emu.base_url) as c:
        r = await c.models.generate_content(
            model=MODEL, contents="Call get_weather and get_time for Zurich", config={"tools": [get_weather, get_time]}
        )
        history = r.automatic_function_calling_history
        assert history is not None and len(history) == 3
        assert [p.function_response.name for p in history[2].parts or () if p.function_response] == [
            "get_weather",
            "get_time",
        ]
        assert r.text and "get_time" in r.text


async def test_cancelling_a_stream_reader_cancels_its_tools(server: Scripted, client: genai_async.Client) -> None:
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        """Slow."""
        entered.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    script(server, sse(calls(("slow", {}))), sse(answer("x")))
    chat = client.chats.create(model=MODEL, config={"tools": [slow]})

    async def read() -> None:
        async with chat.send_message_stream("go") as stream:
            async for _ in stream:
                pass

    task = asyncio.create_task(read())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert len(server.requests) == 1 and checked_out(client) == 0
    assert chat.get_history() == []  # a cancelled turn leaves the history as it was


async def test_callable_objects_and_unhashable_callables(server: Scripted, client: genai_async.Client) -> None:
    class Lookup:
        """Looks things up."""

        __name__ = "lookup"
        __hash__ = None  # type: ignore[assignment]

        def __eq__(self, other: object) -> bool:
            return self is other

        async def __call__(self, key: str) -> str:
            return key.upper()

    script(server, calls(("lookup", {"key": "abc"})), answer("ok"))
    await client.models.generate_content(model=MODEL, contents="x", config={"tools": [Lookup()]})
    declared = server.requests[0]["json"]["tools"][0]["functionDeclarations"][0]
    assert declared["parameters"]["properties"] == {"key": {"type": "STRING"}}
    assert server.requests[1]["json"]["contents"][2]["parts"][0]["functionResponse"]["response"] == {"result": "ABC"}
