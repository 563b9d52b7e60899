"""An ``mcp.ClientSession`` in ``config.tools``, against a real MCP server (the ``mcp`` package's own
``MCPServer``, connected in memory by ``mcp.Client``) and a scripted model over a real socket."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted
from tests.integration.test_chats import answer, script
from tests.integration.test_function_calling import calls, get_weather

mcp = pytest.importorskip("mcp")
mcpserver = pytest.importorskip("mcp.server.mcpserver")

MODEL = "gemini-3.5-flash"


def make_server() -> Any:
    server = mcpserver.MCPServer("calculator")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        if b == 0:
            raise ValueError("division by zero")
        return a / b

    return server


@pytest.fixture
async def client(server: Scripted) -> AsyncIterator[genai_async.Client]:
    c = genai_async.Client(api_key="k", base_url=server.base_url, http_options={"retry_options": {"attempts": 1}})
    try:
        yield c
    finally:
        await c.aclose()


async def test_session_tools_are_declared_and_called(server: Scripted, client: genai_async.Client) -> None:
    """The MCP client runs inside the test's task: anyio cancel scopes must exit where they entered."""
    script(server, calls(("add", {"a": 2, "b": 3}), ("divide", {"a": 1, "b": 0})), answer("5, and no division"))
    async with mcp.Client(make_server()) as connected:
        r = await client.models.generate_content(
            model=MODEL, contents="2+3 and 1/0?", config={"tools": [connected.session, get_weather]}
        )
    assert r.text == "5, and no division"
    declared = server.requests[0]["json"]["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == ["add", "divide", "get_weather"]
    add = declared[0]
    assert add["description"] == "Add two integers."
    assert add["parametersJsonSchema"]["properties"].keys() == {"a", "b"}
    assert "$schema" not in add["parametersJsonSchema"]
    responses = [p["functionResponse"] for p in server.requests[1]["json"]["contents"][2]["parts"]]
    assert responses[0]["name"] == "add"
    added = responses[0]["response"]["result"]
    assert added["content"][0]["text"] == "5"
    assert responses[1]["name"] == "divide"
    error = responses[1]["response"]["error"]  # the server reports a raising tool as isError
    assert error["isError"] is True and "Error executing tool divide" in json.dumps(error)


async def test_session_tool_in_a_stream(server: Scripted, client: genai_async.Client) -> None:
    body = calls(("add", {"a": 40, "b": 2}))
    script(
        server, [f"data: {json.dumps(body)}\r\n\r\n".encode()], [f"data: {json.dumps(answer('42'))}\r\n\r\n".encode()]
    )
    async with mcp.Client(make_server()) as connected:
        config = {"tools": [connected.session]}
        async with client.models.generate_content_stream(model=MODEL, contents="40+2", config=config) as stream:
            texts = [c.text async for c in stream]
    assert texts[-1] == "42"
    result = server.requests[1]["json"]["contents"][2]["parts"][0]["functionResponse"]["response"]["result"]
    assert result["content"][0]["text"] == "42"


async def test_name_clash_between_session_and_function(server: Scripted, client: genai_async.Client) -> None:
    def add(a: int, b: int) -> int:
        """Local add."""
        return a + b

    async with mcp.Client(make_server()) as connected:
        with pytest.raises(errors.ConfigurationError, match="'add' is already defined"):
            await client.models.generate_content(model=MODEL, contents="x", config={"tools": [connected.session, add]})
    assert server.requests == []


async def test_session_tools_in_a_live_session() -> None:
    """The live session calls the MCP server's tools itself, from its own tool tasks."""
    from genai_async import types
    from genai_async.emulator import running

    async with running() as emu, genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        async with mcp.Client(make_server()) as connected:
            config = types.LiveConnectConfig(response_modalities=["TEXT"], tools=[connected.session])
            async with client.live.connect(model="gemini-live-2.5-flash-preview", config=config) as session:
                await session.send_client_content(turns="Call add", turn_complete=True)
                messages = [m async for m in session.receive()]
        frames = emu.live.frames
    declared = frames[0]["setup"]["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == ["add", "divide"]
    call = (
        messages[0].tool_call.function_calls[0]
        if messages[0].tool_call and messages[0].tool_call.function_calls
        else None
    )
    assert call is not None and call.name == "add" and call.args is not None
    (response,) = [f["toolResponse"]["functionResponses"] for f in frames if "toolResponse" in f]
    assert response[0]["id"] == call.id and response[0]["name"] == "add"
    assert response[0]["response"]["result"]["content"][0]["text"] == str(call.args["a"] + call.args["b"])
    assert messages[-1].server_content is not None and messages[-1].server_content.turn_complete


async def test_stdio_server_subprocess_with_paged_tool_list(server: Scripted, client: genai_async.Client) -> None:
    """A real MCP server started by the test as a subprocess over stdio; its tools/list has two
    pages, and every page's tools are declared and callable."""
    from mcp.client.stdio import StdioServerParameters, stdio_client

    script_path = Path(__file__).with_name("mcp_stdio_server.py")
    params = StdioServerParameters(command=sys.executable, args=[str(script_path)], cwd=str(script_path.parents[2]))
    script(server, calls(("add", {"a": 2, "b": 3}), ("shout", {"text": "hi"})), answer("5 and HI"))
    async with stdio_client(params) as (read, write), mcp.ClientSession(read, write) as session:
        await session.initialize()
        r = await client.models.generate_content(model=MODEL, contents="2+3, shout hi", config={"tools": [session]})
    assert r.text == "5 and HI"
    declared = server.requests[0]["json"]["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == ["add", "shout"]
    assert declared[1]["parametersJsonSchema"]["required"] == ["text"]
    responses = [p["functionResponse"] for p in server.requests[1]["json"]["contents"][2]["parts"]]
    assert [r["response"]["result"]["content"][0]["text"] for r in responses] == ["5", "HI"]


async def test_a_tool_list_that_never_ends_is_an_error(server: Scripted, client: genai_async.Client) -> None:
    import mcp.types as mcp_types
    from mcp.server.lowlevel import Server

    async def list_tools(ctx: Any, params: Any) -> Any:
        tool = mcp_types.Tool(name="t", input_schema={"type": "object"})
        return mcp_types.ListToolsResult(tools=[tool], next_cursor="again")  # the same cursor forever

    looping: Any = Server("looping", on_list_tools=list_tools)
    async with mcp.Client(looping) as connected:
        with pytest.raises(errors.GenAIError, match="tools/list keeps paginating"):
            await client.models.generate_content(model=MODEL, contents="x", config={"tools": [connected.session]})
    assert server.requests == []
