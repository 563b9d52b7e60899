"""An ``mcp.ClientSession`` as a tool (optional extra: ``pip install genai-async[mcp]``).

The session's tools are listed once per call (``tools/list``, first page) and declared with their
JSON Schema as ``parametersJsonSchema`` (the ``$schema`` key dropped); the model's calls go to
``session.call_tool``. A result marked ``isError`` is sent back as ``{"error": result}``, any other as
``{"result": result}``, the result being the MCP ``CallToolResult`` as JSON (content blocks,
structured content), as the official SDK sends it. This module never imports ``mcp``: it works
with the session object it is given (mcp 1.x camelCase or 2.x snake_case attributes).
"""

from __future__ import annotations

from typing import Any

from .types import FunctionDeclaration


class McpTools:
    """The tools of one MCP session, declared and callable."""

    __slots__ = ("session", "declarations")

    def __init__(self, session: Any, declarations: list[FunctionDeclaration]) -> None:
        self.session = session
        self.declarations = declarations

    @classmethod
    async def list(cls, session: Any) -> McpTools:
        """List the session's tools (one ``tools/list`` request)."""
        listed = await session.list_tools()
        return cls(session, [_declaration(tool) for tool in listed.tools])

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Call tool ``name`` on the session -> ``{"result": ...}`` or ``{"error": ...}``."""
        result = await self.session.call_tool(name, args)
        is_error = getattr(result, "is_error", getattr(result, "isError", False))
        data = _json(result)
        return {"error": data} if is_error else {"result": data}


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
