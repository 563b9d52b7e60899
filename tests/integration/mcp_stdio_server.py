"""A real MCP server over stdio for tests/integration/test_mcp_tools.py (run as a subprocess):
the ``mcp`` package's low-level ``Server``, with ``tools/list`` split over two pages so the client
must follow ``nextCursor``. Not a test module (no ``test_`` prefix)."""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

PAGES: dict[str | None, tuple[list[types.Tool], str | None]] = {
    None: (
        [
            types.Tool(
                name="add",
                description="Add two integers.",
                input_schema={
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                },
            )
        ],
        "page-2",
    ),
    "page-2": (
        [
            types.Tool(
                name="shout",
                description="Upper-case a text.",
                input_schema={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
            )
        ],
        None,
    ),
}


async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    tools, next_cursor = PAGES[params.cursor if params is not None else None]
    return types.ListToolsResult(tools=tools, next_cursor=next_cursor)


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    args = params.arguments or {}
    if params.name == "add":
        text = str(args["a"] + args["b"])
    elif params.name == "shout":
        text = str(args["text"]).upper()
    else:
        return types.CallToolResult(content=[types.TextContent(type="text", text="no such tool")], is_error=True)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


async def main() -> None:
    server: Server[Any] = Server("paged", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
