"""Automatic function calling (AFC): Python functions and MCP sessions in ``config.tools`` are
declared to the model and called for it until it answers without calls.

Rules (the official SDK's ``AsyncModels.generate_content`` is the reference):
- On whenever ``tools`` holds a callable or an ``mcp.ClientSession``; ``AutomaticFunctionCallingConfig``
  can disable it. All function declarations (given or built) are merged into one ``Tool`` placed
  after the other tools, as the official SDK sends them.
- ``maximum_remote_calls`` (default 10) counts *requests*: after the answer to the last allowed
  request the loop stops, and that answer's calls are returned unexecuted in ``response.function_calls``.
- A round: the answer's model Content (thought parts and every ``thoughtSignature`` kept on its part)
  and one user Content with a ``functionResponse`` per call, in call order, each echoing the call's
  ``id`` when it had one (never invented). ``{"result": value}``, or ``{"error": "..."}`` when the
  function raised, its arguments did not fit the annotations, or it timed out.
- ``response.automatic_function_calling_history``: the request contents, then every round; ``[]``
  when no function was called (the official SDK's value: an empty history means "no round ran").
- Better than the official SDK: the calls of one answer run concurrently (async functions as tasks,
  sync ones in worker threads), with an optional per-call timeout (``call_timeout``); cancelling the
  caller cancels the running functions. An answer calling a function we were not given (a plain
  ``FunctionDeclaration`` next to callables) ends the loop and is returned for the caller to handle
  (the official SDK disables AFC altogether when it sees both).

Seam for other surfaces: :func:`prepare` turns ``config.tools`` (a ``GenerateContentConfig`` or a
``LiveConnectConfig``) into the wire tools and a :class:`Toolbox`; ``Toolbox.handles(calls)`` /
``await Toolbox.run(calls)`` run one batch of ``FunctionCall`` objects concurrently and return the
user ``Content`` of ``functionResponse`` parts (ids echoed). The Live API's ``toolCall`` messages use
it (``_live_tools.py``), so there is no second AFC implementation.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import anyio
import anyio.to_thread
import msgspec

from ._callables import ArgumentError, convert_args, declaration, function_name, plan, split_args, to_json_result
from ._coerce import generate_request
from ._mcp import McpTools
from ._options import logger
from ._resources._history import model_turn
from .errors import ConfigurationError
from .types import (
    Content,
    FunctionCall,
    FunctionDeclaration,
    FunctionResponse,
    GenerateContentConfig,
    GenerateContentRequest,
    GenerateContentResponse,
    LiveConnectConfig,
    Part,
    Tool,
)

_TaskGroup = getattr(asyncio, "TaskGroup", None)
"""``asyncio.TaskGroup`` (3.11+): the calls of one answer run in it; anyio's task group on 3.10."""
DEFAULT_MAX_REMOTE_CALLS = 10
_Config = TypeVar("_Config", GenerateContentConfig, LiveConnectConfig)


def has_local_tools(cfg: GenerateContentConfig | LiveConnectConfig | None) -> bool:
    """True when ``cfg.tools`` holds anything but ``types.Tool`` (a function, an MCP session...)."""
    tools = cfg.tools if cfg is not None else None
    return bool(tools) and any(type(t) is not Tool for t in tools)  # type: ignore[union-attr]


class Toolbox:
    """The functions of one call and the AFC settings; runs the calls of one answer."""

    __slots__ = ("functions", "max_requests", "keep_history", "timeout")

    def __init__(self, functions: dict[str, Any], max_requests: int, keep_history: bool, timeout: float | None):
        self.functions = functions
        self.max_requests = max_requests
        self.keep_history = keep_history
        self.timeout = timeout

    def handles(self, calls: list[FunctionCall]) -> bool:
        """True when every call names one of our functions (otherwise the caller must answer)."""
        functions = self.functions
        return all(call.name in functions for call in calls)

    async def run(self, calls: list[FunctionCall]) -> Content:
        """Call every function of one answer (concurrently) -> the user turn with the responses."""
        if len(calls) == 1:  # the common case: no task, no list
            call = calls[0]
            response = FunctionResponse(id=call.id, name=call.name, response=await self._call(call))
            return Content(role="user", parts=[Part(function_response=response)])
        results: list[dict[str, Any]] = [{}] * len(calls)

        async def one(i: int) -> None:
            results[i] = await self._call(calls[i])

        if _TaskGroup is not None:  # Python 3.11+: a third of anyio's task-group cost
            async with _TaskGroup() as tasks:
                for i in range(len(calls)):
                    tasks.create_task(one(i))
        else:  # pragma: no cover - Python 3.10
            async with anyio.create_task_group() as group:
                for i in range(len(calls)):
                    group.start_soon(one, i)
        return Content(
            role="user",
            parts=[
                Part(function_response=FunctionResponse(id=call.id, name=call.name, response=result))
                for call, result in zip(calls, results, strict=True)
            ],
        )

    async def _call(self, call: FunctionCall) -> dict[str, Any]:
        name = call.name or ""
        if self.timeout is None:
            return await _outcome(name, self.functions[name], call.args)
        with anyio.move_on_after(self.timeout):
            return await _outcome(name, self.functions[name], call.args)
        return {"error": f"{name} did not finish within {self.timeout:g} s (call_timeout); it was stopped"}


async def _outcome(name: str, fn: Any, raw: dict[str, Any] | None) -> dict[str, Any]:
    """``{"result": ...}`` or ``{"error": ...}``: a failing tool never fails the answer."""
    args = _whole_numbers(raw or {})
    try:
        if type(fn) is McpTools:
            return await fn.call(name, args)
        return {"result": to_json_result(await _invoke(fn, args))}
    except ArgumentError as exc:
        return {"error": f"{name} was called with bad arguments: {exc}"}
    except Exception as exc:  # the model hears about the failure, as in the official SDK
        logger.info("tool %s raised %r; the error is sent to the model", name, exc)
        return {"error": str(exc) or type(exc).__name__}


async def _invoke(fn: Callable[..., Any], args: dict[str, Any]) -> Any:
    fn_plan = plan(fn)
    kwargs = convert_args(fn, args, fn_plan)
    positional: list[Any] = []
    if fn_plan[3]:  # def f(a, /): by position
        positional, kwargs = split_args(fn_plan, kwargs)
    if fn_plan[2]:
        return await fn(*positional, **kwargs)
    value = await anyio.to_thread.run_sync(functools.partial(fn, *positional, **kwargs), abandon_on_cancel=True)
    return await value if inspect.isawaitable(value) else value


def _whole_numbers(value: Any) -> Any:
    """JSON numbers such as ``3.0`` back to ``3`` (the model writes ints as floats), recursively;
    returns ``value`` itself when there is nothing to change (the usual flat dict of strings)."""
    kind = type(value)
    if kind is dict and not any(type(v) in _NESTED for v in value.values()):
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {k: _whole_numbers(v) if type(v) in _NESTED else v for k, v in value.items()}
    if kind is list:
        return [_whole_numbers(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (float, dict, list)


# --------------------------------------------------------------------------- preparing a call


async def prepare(cfg: _Config) -> tuple[_Config, Toolbox | None]:
    """The config as sent (callables and MCP sessions replaced by declarations) and the toolbox
    (None when automatic function calling is off)."""
    declared: list[FunctionDeclaration] = []
    others: list[Tool] = []
    functions: dict[str, Any] = {}
    for i, tool in enumerate(cfg.tools or ()):
        if isinstance(tool, Tool):
            declared += tool.function_declarations or ()
            rest = msgspec.structs.replace(tool, function_declarations=None)
            if rest != Tool():
                others.append(rest)
        elif callable(tool):
            decl = declaration(tool)
            _add(functions, function_name(tool), tool, i)
            declared.append(decl)
        elif _is_mcp_session(tool):
            adapter = await McpTools.list(tool)
            for decl in adapter.declarations:
                _add(functions, decl.name or "", adapter, i)
                declared.append(decl)
        else:
            raise ConfigurationError(
                f"config.tools[{i}] is a {type(tool).__name__}; pass a types.Tool, a dict, a Python function "
                "or an mcp.ClientSession"
            )
    names = [d.name for d in declared]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1}, key=str)
        raise ConfigurationError(f"config.tools declares {', '.join(map(repr, twice))} more than once; rename one")
    tools = others + ([Tool(function_declarations=declared)] if declared else [])
    wire = msgspec.structs.replace(cfg, tools=tools or None)
    afc = cfg.automatic_function_calling
    limit = DEFAULT_MAX_REMOTE_CALLS if afc is None or afc.maximum_remote_calls is None else afc.maximum_remote_calls
    if not functions or (afc is not None and afc.disable) or limit <= 0:
        return wire, None
    keep = afc is None or not afc.ignore_call_history
    timeout = afc.call_timeout if afc is not None else None
    if timeout is not None and timeout <= 0:
        raise ConfigurationError(f"automatic_function_calling.call_timeout must be positive seconds, got {timeout!r}")
    return wire, Toolbox(functions, limit, keep, timeout)


async def declared_tools(tools: list[Any] | None) -> list[Tool] | None:
    """``tools`` as sent by calls that declare but never call (``count_tokens``, ``caches.create``):
    Python functions and MCP sessions become declarations, merged as ``generate_content`` sends them."""
    if not tools or all(type(t) is Tool for t in tools):
        return tools
    wire, _ = await prepare(GenerateContentConfig(tools=tools))
    return cast("list[Tool] | None", wire.tools)  # prepare left only types.Tool in it


def _add(functions: dict[str, Any], name: str, fn: Any, index: int) -> None:
    if name in functions:
        raise ConfigurationError(
            f"config.tools[{index}]: a tool named {name!r} is already defined; every function needs its own name"
        )
    functions[name] = fn


def _is_mcp_session(tool: Any) -> bool:
    mcp = sys.modules.get("mcp")  # never imported here: a session exists only if the user imported mcp
    session = getattr(mcp, "ClientSession", None) if mcp is not None else None
    return session is not None and isinstance(tool, session)


def calls_of(response: GenerateContentResponse) -> list[FunctionCall]:
    """The first candidate's function calls (empty when there are none)."""
    return response.function_calls or []


# --------------------------------------------------------------------------- the unary loop


class Sender(Protocol):
    """What the loop needs from ``client.models``: one request, continuation hops followed."""

    async def _generate(
        self, model: str, request: GenerateContentRequest, cfg: GenerateContentConfig | None
    ) -> GenerateContentResponse: ...


async def generate(
    models: Sender, model: str, contents: Any, cfg: GenerateContentConfig
) -> tuple[GenerateContentResponse, list[Content]]:
    """Answer ``contents``, calling the functions the model asks for; returns the final answer and
    the rounds (model call turn, user response turn, ...) that led to it."""
    wire, box = await prepare(cfg)
    request = generate_request(contents, wire)
    response = await models._generate(model, request, wire)
    if box is None:
        return response, []
    turns = request.contents or []
    rounds: list[Content] = []
    sent = 1
    while sent < box.max_requests:
        calls = calls_of(response)
        if not calls or not box.handles(calls):
            break
        reply = await box.run(calls)
        rounds += (model_turn(response), reply)
        request = msgspec.structs.replace(request, contents=[*turns, *rounds])
        response = await models._generate(model, request, wire)
        sent += 1
    if box.keep_history:
        response.automatic_function_calling_history = [*turns, *rounds] if rounds else []
    return response, rounds
