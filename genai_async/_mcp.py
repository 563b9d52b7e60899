"""An ``mcp.ClientSession`` as a tool (optional extra: ``pip install genai-async[mcp]``).

The session's tools are listed once per call (``tools/list``, every page: ``nextCursor`` is followed,
which the official SDK does not do) and declared with their
JSON Schema as ``parametersJsonSchema`` (the ``$schema`` key dropped); the model's calls go to
``session.call_tool``. A result marked ``isError`` is sent back as ``{"error": result}``, any other as
``{"result": result}``, the result being the MCP ``CallToolResult`` as JSON (content blocks,
structured content), as the official SDK sends it. This module never imports ``mcp``: it works
with the session object it is given (mcp 1.x camelCase or 2.x snake_case attributes).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from .errors import GenAIError
from .types import FunctionDeclaration

MAX_PAGES = 1000
"""``tools/list`` pages followed at most (a server that never stops paginating is an error)."""


class McpTools:
    """The tools of one MCP session, declared and callable."""

    __slots__ = ("session", "declarations")

    def __init__(self, session: Any, declarations: list[FunctionDeclaration]) -> None:
        self.session = session
        self.declarations = declarations

    @classmethod
    async def list(cls, session: Any) -> McpTools:
        """List the session's tools (one ``tools/list`` request per page, every page)."""
        listed = await session.list_tools()
        tools = list(listed.tools)
        seen: set[str] = set()
        cursor = _next_cursor(listed)
        while cursor is not None:
            if cursor in seen or len(seen) >= MAX_PAGES:
                raise GenAIError(
                    f"MCP session {session!r}: tools/list keeps paginating (cursor {cursor!r:.60} after "
                    f"{len(seen) + 1} pages); the server's nextCursor never ends"
                )
            seen.add(cursor)
            listed = await _page(session, cursor)
            tools += listed.tools
            cursor = _next_cursor(listed)
        return cls(session, [_declaration(tool) for tool in tools])

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Call tool ``name`` on the session -> ``{"result": ...}`` or ``{"error": ...}``."""
        result = await self.session.call_tool(name, args)
        is_error = getattr(result, "is_error", getattr(result, "isError", False))
        data = _json(result)
        return {"error": data} if is_error else {"result": data}


def _next_cursor(listed: Any) -> str | None:
    cursor = getattr(listed, "next_cursor", None) or getattr(listed, "nextCursor", None)
    return cursor if isinstance(cursor, str) and cursor else None


async def _page(session: Any, cursor: str) -> Any:
    """The ``tools/list`` page at ``cursor``: mcp 2.x takes ``params=PaginatedRequestParams``, 1.x
    ``cursor=`` (``mcp`` is loaded: the session came from it)."""
    if "params" in inspect.signature(session.list_tools).parameters:
        params = importlib.import_module("mcp.types").PaginatedRequestParams(cursor=cursor)
        return await session.list_tools(params=params)
    return await session.list_tools(cursor=cursor)


def _declaration(tool: Any) -> FunctionDeclaration:
    schema = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None)
    if isinstance(schema, dict):
        schema = {k: v for k, v in schema.items() if k != "$schema"}
    return FunctionDeclaration(
        name=tool.name, description=getattr(tool, "description", None) or None, parameters_json_schema=schema
    )


def _json(result: Any) -> Any:
    dump = getattr(result, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    return result
