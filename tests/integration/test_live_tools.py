"""Python-callable tools in a live session, over real sockets against the emulator: declared in
``setup`` as for generate_content, run by the session (concurrently, sync ones in a thread), answered
with one ``toolResponse`` (ids echoed, ``{"result"}``/``{"error"}``), cancelled by
``toolCallCancellation``, left to the caller when automatic function calling is disabled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

import genai_async
from genai_async import _afc, errors, types
from genai_async._codec import encode
from genai_async.emulator import Emulator, running
from tests.waiting import wait_until

MODEL = "gemini-live-2.5-flash-preview"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with running() as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[genai_async.Client]:
    async with genai_async.Client(api_key="live-key", base_url=emu.base_url, timeout=10) as c:
        yield c


def tool_responses(emu: Emulator) -> list[list[dict[str, Any]]]:
    return [f["toolResponse"]["functionResponses"] for f in emu.live.frames if "toolResponse" in f]


class Tools:
    """A sync, an async and a raising tool; the sync and async ones wait for each other, so both
    finishing proves they ran at the same time (the sync one in a worker thread)."""

    def __init__(self) -> None:
        self.async_started = threading.Event()
        self.threads: list[str] = []

    def get_weather(self, city: str) -> dict[str, Any]:
        """Get the weather in a city."""
        self.threads.append(threading.current_thread().name)
        if not self.async_started.wait(5):
            raise RuntimeError("get_time never started: the calls did not run concurrently")
        return {"city": city, "temp": 21}

    async def get_time(self, city: str) -> str:
        """Get the local time in a city."""
        self.async_started.set()
        await wait_until(lambda: bool(self.threads))  # get_weather is running too
        return f"10:00 in {city}"

    def check_stock(self, item: str) -> int:
        """Check the stock of an item."""
        raise LookupError(f"no stock data for {item}")

    def all(self) -> list[Any]:
        return [self.get_weather, self.get_time, self.check_stock]


PROMPT = "Call get_weather, get_time and check_stock for Zurich"


async def test_sync_async_and_raising_tools_run_and_the_answer_goes_on(
    client: genai_async.Client, emu: Emulator
) -> None:
    tools = Tools()
    config = types.LiveConnectConfig(response_modalities=["TEXT"], tools=tools.all())
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns=PROMPT, turn_complete=True)
        messages = [m async for m in session.receive()]
        assert session.running_tools == 0
    calls = messages[0].tool_call.function_calls if messages[0].tool_call else None
    assert calls is not None and [c.name for c in calls] == ["get_weather", "get_time", "check_stock"]
    assert messages[-1].server_content is not None and messages[-1].server_content.turn_complete
    assert "".join(m.text or "" for m in messages)  # the model answered after the tool response
    (sent,) = tool_responses(emu)
    assert [r["id"] for r in sent] == [c.id for c in calls]  # ids echoed, in call order
    assert sent[0] == {"id": calls[0].id, "name": "get_weather", "response": {"result": {"city": "Zurich", "temp": 21}}}
    assert sent[1] == {"id": calls[1].id, "name": "get_time", "response": {"result": "10:00 in Zurich"}}
    assert sent[2]["response"] == {"error": f"no stock data for {calls[2].args['item']}"}  # type: ignore[index]
    assert tools.threads and tools.threads[0] != threading.main_thread().name


async def test_functions_are_declared_in_setup_as_for_generate_content(
    client: genai_async.Client, emu: Emulator
) -> None:
    tools = Tools()
    other = types.Tool(
        function_declarations=[types.FunctionDeclaration(name="manual", description="Answered by hand.")]
    )
    config = {"tools": [other, {"google_search": {}}, *tools.all()]}  # a dict config, dict and Tool entries
    async with client.live.connect(model=MODEL, config=config) as session:
        assert session.running_tools == 0
    search = types.Tool(google_search=types.GoogleSearch())
    rest, _ = await _afc.prepare(types.GenerateContentConfig(tools=[other, search, *tools.all()]))
    expected = [msgspec_json(t) for t in rest.tools or []]
    assert emu.live.frames[0]["setup"]["tools"] == expected
    assert [t for t in expected if "functionDeclarations" in t][0]["functionDeclarations"][2] == {
        "name": "get_time",
        "description": "Get the local time in a city.",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
    }


def msgspec_json(tool: types.Tool) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(encode(tool))
    return value


async def test_disabled_afc_declares_but_leaves_the_calls_to_the_caller(
    client: genai_async.Client, emu: Emulator
) -> None:
    ran: list[str] = []

    def get_time(city: str) -> str:
        """Get the local time in a city."""
        ran.append(city)
        return "never"

    afc = types.AutomaticFunctionCallingConfig(disable=True)
    config = types.LiveConnectConfig(tools=[get_time], automatic_function_calling=afc)
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="What is the time in Bern?", turn_complete=True)
        async for message in session.receive():
            if message.tool_call is not None:
                calls = message.tool_call.function_calls or []
                await session.send_tool_response(
                    function_responses=[
                        types.FunctionResponse(id=c.id, name=c.name, response={"output": "09:41"}) for c in calls
                    ]
                )
    assert ran == []
    assert emu.live.frames[0]["setup"]["tools"][0]["functionDeclarations"][0]["name"] == "get_time"
    (sent,) = tool_responses(emu)
    assert sent[0]["response"] == {"output": "09:41"}


async def test_answering_a_call_the_session_runs_is_refused(client: genai_async.Client, emu: Emulator) -> None:
    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        return "10:00"

    async with client.live.connect(model=MODEL, config={"tools": [get_time]}) as session:
        await session.send_client_content(turns="What is the time in Bern?", turn_complete=True)
        async for message in session.receive():
            if message.tool_call is not None:
                call = (message.tool_call.function_calls or [])[0]
                with pytest.raises(errors.ConfigurationError, match="answered by the session itself"):
                    await session.send_tool_response(
                        function_responses={"id": call.id, "name": call.name, "response": {"result": "x"}}
                    )
    assert len(tool_responses(emu)) == 1  # only the session's own answer went out


async def test_a_call_to_a_function_without_a_callable_is_left_to_the_caller(
    client: genai_async.Client, emu: Emulator
) -> None:
    ran: list[str] = []

    def get_weather(city: str) -> str:
        """Get the weather in a city."""
        ran.append(city)
        return "sunny"

    manual = types.Tool(function_declarations=[types.FunctionDeclaration(name="get_time", description="Current time.")])
    async with client.live.connect(model=MODEL, config={"tools": [manual, get_weather]}) as session:
        await session.send_client_content(turns="Call get_time", turn_complete=True)
        async for message in session.receive():
            if message.tool_call is not None:
                assert session.running_tools == 0
                calls = message.tool_call.function_calls or []
                await session.send_tool_response(
                    function_responses=[{"id": c.id, "name": c.name, "response": {"output": "09:41"}} for c in calls]
                )
    assert ran == []
    assert tool_responses(emu) == [
        [{"id": tool_responses(emu)[0][0]["id"], "name": "get_time", "response": {"output": "09:41"}}]
    ]


async def test_tool_call_cancellation_cancels_the_running_calls(client: genai_async.Client, emu: Emulator) -> None:
    started = asyncio.Event()
    cancelled: list[str] = []
    release = threading.Event()
    thread_started = threading.Event()
    thread_done = threading.Event()

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        started.set()
        try:
            await asyncio.Event().wait()  # never answers on its own
        except asyncio.CancelledError:
            cancelled.append("get_time")
            raise
        return "unreachable"

    def get_weather(city: str) -> str:
        """Get the weather in a city."""
        thread_started.set()
        try:
            release.wait(10)
            return "late"
        finally:
            thread_done.set()

    config = types.LiveConnectConfig(tools=[get_time, get_weather])
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="Call get_time and get_weather in Bern", turn_complete=True)
        messages = session.receive()
        first = await messages.__anext__()
        assert first.tool_call is not None
        await started.wait()
        await wait_until(thread_started.is_set)
        assert session.running_tools == 2
        await session.send_client_content(turns="Never mind, tell me about Rome", turn_complete=True)
        rest = [m async for m in messages]
        assert rest[0].tool_call_cancellation is not None
        assert rest[0].tool_call_cancellation.ids == [c.id for c in first.tool_call.function_calls or []]
        assert session.running_tools == 0
        assert cancelled == ["get_time"]
        assert "Rome" in "".join(m.text or "" for m in rest)
    assert tool_responses(emu) == []  # nothing answered for cancelled calls
    release.set()  # the abandoned worker thread runs the sync function to its end
    assert await asyncio.to_thread(thread_done.wait, 5)


async def test_closing_the_session_cancels_running_tools(client: genai_async.Client, emu: Emulator) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "unreachable"

    before = asyncio.all_tasks()
    async with client.live.connect(model=MODEL, config={"tools": [get_time]}) as session:
        await session.send_client_content(turns="What is the time in Bern?", turn_complete=True)
        first = await session.receive().__anext__()
        assert first.tool_call is not None
        await started.wait()
    assert cancelled.is_set()
    assert session.running_tools == 0
    mine = [t for t in asyncio.all_tasks() - before if not t.done() and t.get_name().startswith("live tool")]
    assert mine == []
    with pytest.raises(errors.ConfigurationError, match="closed"):
        await session.send_client_content(turns="again")


async def test_call_timeout_and_bad_arguments_answer_with_errors(client: genai_async.Client, emu: Emulator) -> None:
    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        await asyncio.Event().wait()
        return "unreachable"

    afc = types.AutomaticFunctionCallingConfig(call_timeout=0.05)
    async with client.live.connect(model=MODEL, config={"tools": [get_time], "automatic_function_calling": afc}) as s:
        await s.send_client_content(turns="What is the time in Bern?", turn_complete=True)
        messages = [m async for m in s.receive()]
    assert messages[-1].server_content is not None and messages[-1].server_content.turn_complete
    (sent,) = tool_responses(emu)
    assert "call_timeout" in sent[0]["response"]["error"]


async def test_bad_callable_is_refused_before_any_socket(client: genai_async.Client, emu: Emulator) -> None:
    def untyped(city):  # type: ignore[no-untyped-def]
        """No annotation."""

    connect = client.live.connect(model=MODEL, config={"tools": [untyped]})
    with pytest.raises(errors.ConfigurationError, match="city"):
        async with connect:
            pass
    with pytest.raises(errors.ConfigurationError, match=r"config.tools\[0\] is a int"):
        async with client.live.connect(model=MODEL, config={"tools": [42]}):
            pass
    assert emu.live.frames == [] and emu.live.sessions == 0


class Halt(BaseException):
    """Not an Exception: it is not the model's {"error"}; it ends the session."""


async def test_a_base_exception_escaping_a_tool_ends_the_session(client: genai_async.Client, emu: Emulator) -> None:
    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        raise Halt("stop everything")

    seen: list[types.LiveServerMessage] = []
    with pytest.raises(Halt, match="stop everything"):
        async with client.live.connect(model=MODEL, config={"tools": [get_time]}) as session:
            await session.send_client_content(turns="What is the time in Bern?", turn_complete=True)
            async for message in session.receive():  # parked for the answer: woken by the failure
                seen.append(message)
    assert seen[0].tool_call is not None and tool_responses(emu) == []
    with pytest.raises(errors.ConfigurationError, match="closed"):
        await session.send_client_content(turns="again")


async def test_a_connection_lost_mid_tool_call_cancels_the_call(client: genai_async.Client, emu: Emulator) -> None:
    cancelled = asyncio.Event()

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "unreachable"

    config = types.LiveConnectConfig(tools=[get_time], session_resumption=types.SessionResumptionConfig())
    async with client.live.connect(model=MODEL, config=config) as probe:  # how many messages turn 1 takes
        await probe.send_client_content(turns="Tell me about Rome", turn_complete=True)
        first_turn = len([m async for m in probe.receive()])
    emu.live.queue_drop(after_messages=first_turn + 2)  # turn 1, its resumption update, the toolCall
    async with client.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns="Tell me about Rome", turn_complete=True)
        assert len([m async for m in session.receive()]) == first_turn
        await session.send_client_content(turns="What is the time in Bern?", turn_complete=True)
        messages = [m async for m in session.receive()]
        assert session.resumptions == 1
        assert session.running_tools == 0
    assert cancelled.is_set()
    assert [m.tool_call is not None for m in messages] == [False, True, False]  # update, call, the cut
    last = messages[-1].server_content
    assert last is not None and last.interrupted and last.turn_complete
    assert tool_responses(emu) == []  # the call belonged to the lost connection's answer
