"""Python functions as Gemini tools: a callable's signature as a ``FunctionDeclaration``, and the
model's JSON arguments converted back to the annotated Python types before the call. Pure code.

Decisions (the official SDK's ``FunctionDeclaration.from_callable`` is the reference for the shape):
- Name from ``__name__``, description from the cleaned docstring (whole, not parsed per argument),
  ``parameters`` as the Gemini Schema subset (docs/gemini-rest.md §3.4): upper-case types, ``nullable``
  for ``Optional``, ``enum`` + ``STRING`` for ``Literal`` strings and str-valued ``Enum`` classes,
  ``default`` when the default is JSON, ``required`` for parameters without a default.
- Beyond the official SDK: dataclasses, TypedDicts and msgspec Structs (it refuses them), and
  ``datetime``/``date``/``time``/``UUID`` as formatted strings. Pydantic models when pydantic is
  installed (never imported otherwise).
- Anything else (an unannotated parameter, ``Literal[1, 2]``, an int-valued Enum, a recursive type)
  is a ConfigurationError naming the function and the parameter, raised before any request.
- ``*args``/``**kwargs`` are not declared; ``**kwargs`` receives arguments the model adds anyway.
  Positional-only parameters (``def f(a, /)``) are declared by name and passed by position.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import inspect
import re
import types as _pytypes
import typing
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, Union

import msgspec

from .errors import ConfigurationError
from .types import FunctionDeclaration, Schema

_SCALARS: dict[Any, str] = {str: "STRING", bool: "BOOLEAN", int: "INTEGER", float: "NUMBER"}
_FORMATTED: dict[Any, str] = {
    datetime.datetime: "date-time",
    datetime.date: "date",
    datetime.time: "time",
    uuid.UUID: "uuid",
}
_SEQUENCES = (list, tuple, set, frozenset, Sequence, typing.Sequence)
_MAPPINGS = (dict, Mapping, typing.Mapping)


class _Unsupported(Exception):
    """An annotation with no Gemini schema; carries the reason."""


_VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,127}")
"""A function name the service accepts (docs/gemini-rest.md §3.9)."""


def function_name(fn: Callable[..., Any]) -> str:
    """The name the model calls ``fn`` by."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise ConfigurationError(f"the tool {fn!r} has no __name__; pass a function, or wrap the callable in a def")
    if _VALID_NAME.fullmatch(name) is None:
        raise ConfigurationError(
            f"tool {name!r} is not a valid function name for Gemini (ASCII letters, digits, _ . : -, starting "
            "with a letter or underscore, at most 128 characters); use a def with such a name, or set __name__"
        )
    return name


V = TypeVar("V")


class _PerFunction(Generic[V]):
    """A cache of ``build(fn)`` that holds functions weakly: tools built per request as closures
    (and what they capture) die with the request. Bound methods are keyed by their function, so
    ``obj.method`` hits the cache for every instance; a callable that cannot be weakly referenced
    or hashed is built each time."""

    __slots__ = ("build", "plain", "bound")

    def __init__(self, build: Callable[[Callable[..., Any]], V]) -> None:
        self.build = build
        self.plain: dict[weakref.ref[Any], V] = {}
        self.bound: dict[weakref.ref[Any], V] = {}

    def __call__(self, fn: Callable[..., Any]) -> V:
        table, key = (self.bound, fn.__func__) if type(fn) is _pytypes.MethodType else (self.plain, fn)
        try:
            return table[weakref.ref(key)]  # a weak reference hashes and compares as its referent
        except KeyError:
            value = table[weakref.ref(key, functools.partial(_forget, table))] = self.build(fn)
            return value
        except TypeError:  # not weak-referenceable, or unhashable
            return self.build(fn)


def _forget(table: dict[weakref.ref[Any], Any], dead: weakref.ref[Any]) -> None:
    table.pop(dead, None)


def declaration(fn: Callable[..., Any]) -> FunctionDeclaration:
    """The ``FunctionDeclaration`` of a sync or async Python function (cached per function; shared:
    do not modify it)."""
    return _cached_declaration(fn)


def build_declaration(fn: Callable[..., Any]) -> FunctionDeclaration:
    """A new ``FunctionDeclaration`` of ``fn`` (see :func:`declaration`)."""
    name = function_name(fn)
    doc = inspect.getdoc(fn)
    params = _parameters(fn, name)
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for pname, (annotation, param) in params.items():
        try:
            schema = _schema(annotation, ())
        except NameError as exc:  # a field of a dataclass / TypedDict / Struct annotated with an unknown name
            raise _unresolved(f"tool {name}: parameter {pname!r}", exc) from exc
        except _Unsupported as exc:
            raise ConfigurationError(
                f"tool {name}: parameter {pname!r} is annotated {_show(annotation)}, which has no Gemini "
                f"schema ({exc}); use str, int, float, bool, Literal['a', 'b'], a str Enum, list[...], "
                "dict[str, ...], Optional[...], a dataclass, TypedDict, msgspec Struct or pydantic model"
            ) from None
        if param.default is inspect.Parameter.empty:
            required.append(pname)
        else:
            _set_default(schema, param.default)
        properties[pname] = schema
    parameters = Schema(type="OBJECT", properties=properties, required=required or None) if properties else None
    return FunctionDeclaration(name=name, description=doc or None, parameters=parameters)


_cached_declaration = _PerFunction(build_declaration)


def _parameters(fn: Callable[..., Any], name: str) -> dict[str, tuple[Any, inspect.Parameter]]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"tool {name}: cannot read its signature ({exc})") from exc
    try:
        hints = _hints(fn)
    except NameError as exc:  # a string annotation (``from __future__ import annotations``) not in the module
        raise _unresolved(f"tool {name}", exc) from exc
    except Exception as exc:  # a broken __annotations__
        raise ConfigurationError(f"tool {name}: cannot resolve its annotations ({exc})") from exc
    out: dict[str, tuple[Any, inspect.Parameter]] = {}
    for pname, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(pname, param.annotation)
        if annotation is inspect.Parameter.empty:
            raise ConfigurationError(
                f"tool {name}: parameter {pname!r} has no type annotation; annotate it (e.g. `{pname}: str`) "
                "so the model knows what to pass"
            )
        out[pname] = (annotation, param)
    return out


def _unresolved(where: str, exc: NameError) -> ConfigurationError:
    missing = getattr(exc, "name", None) or str(exc)
    return ConfigurationError(
        f"{where}: cannot resolve the annotation {missing!r} ({exc}); string annotations (as with "
        "`from __future__ import annotations`) are looked up in the module that defines them, so define "
        "the type at module level, or import it there outside `if TYPE_CHECKING:`"
    )


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Resolved annotations of a function, or of ``__call__`` for a callable object."""
    target = fn if inspect.isroutine(fn) or inspect.isclass(fn) else type(fn).__call__
    return typing.get_type_hints(target)


def _show(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


def _set_default(schema: Schema, default: Any) -> None:
    if default is None:
        return
    try:
        schema.default = msgspec.to_builtins(default.value if isinstance(default, enum.Enum) else default)
    except TypeError:
        pass  # a default the model cannot see (an object): left out, the function still has it


def _schema(tp: Any, seen: tuple[Any, ...]) -> Schema:
    """One annotation as a Gemini Schema; ``seen`` holds the classes being expanded (cycles)."""
    if tp in _SCALARS:
        return Schema(type=_SCALARS[tp])
    if tp in _FORMATTED:
        return Schema(type="STRING", format=_FORMATTED[tp])
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _schema(args[0], seen)
    if origin is Literal:
        return _enum_schema(list(args), None)
    if origin is Union or origin is _pytypes.UnionType:
        return _union_schema(args, seen)
    if tp in _SEQUENCES or origin in _SEQUENCES:
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            raise _Unsupported("fixed-length tuples are not expressible; use list[...] or tuple[T, ...]")
        item = args[0] if args else None
        return Schema(type="ARRAY", items=None if item is None else _schema(item, seen))
    if tp in _MAPPINGS or origin in _MAPPINGS:
        return Schema(type="OBJECT")
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _enum_schema([m.value for m in tp], tp.__name__)
        if tp in seen:
            raise _Unsupported(f"{tp.__name__} refers to itself; recursive types are not supported")
        fields = _object_fields(tp)
        if fields is not None:
            return _object_schema(fields, (*seen, tp))
    raise _Unsupported("not a supported type")


def _enum_schema(values: list[Any], title: str | None) -> Schema:
    if not values or not all(isinstance(v, str) for v in values):
        raise _Unsupported(f"enum values {values!r} are not all strings; Gemini enums are strings")
    return Schema(type="STRING", enum=list(values), title=title)


def _union_schema(args: tuple[Any, ...], seen: tuple[Any, ...]) -> Schema:
    options = [a for a in args if a is not type(None)]
    nullable = len(options) < len(args) or None
    if len(options) == 1:
        schema = _schema(options[0], seen)
        schema.nullable = nullable
        return schema
    return Schema(any_of=[_schema(o, seen) for o in options], nullable=nullable)


_Field = tuple[str, Any, bool, Any]  # name, annotation, required, default


def _object_fields(tp: type) -> list[_Field] | None:
    """The fields of a Struct / dataclass / TypedDict / pydantic model; None for other classes."""
    if issubclass(tp, msgspec.Struct):
        return [
            (f.encode_name, f.type, f.required, None if f.default is msgspec.NODEFAULT else f.default)
            for f in msgspec.structs.fields(tp)
        ]
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return [
            (
                f.name,
                hints[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                None if f.default is dataclasses.MISSING else f.default,
            )
            for f in dataclasses.fields(tp)
            if f.init
        ]
    if typing.is_typeddict(tp):
        required: frozenset[str] = getattr(tp, "__required_keys__", frozenset())
        return [(k, v, k in required, None) for k, v in typing.get_type_hints(tp).items()]
    model_fields = getattr(tp, "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(tp, "model_validate"):  # pydantic v2
        return [
            (name, f.annotation, f.is_required(), None if f.is_required() else f.get_default(call_default_factory=True))
            for name, f in model_fields.items()
        ]
    return None


def _object_schema(fields: list[_Field], seen: tuple[Any, ...]) -> Schema:
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for name, annotation, is_required, default in fields:
        schema = _schema(annotation, seen)
        if is_required:
            required.append(name)
        else:
            _set_default(schema, default)
        properties[name] = schema
    return Schema(type="OBJECT", properties=properties, required=required or None)


# ------------------------------------------------------------------------------ calling


class ArgumentError(Exception):
    """The model's arguments do not fit the function's annotations (sent back as ``{"error": ...}``)."""


_PLAIN = {str: (str,), bool: (bool,), int: (int,), float: (float, int)}
"""Annotations whose JSON value needs no conversion: the accepted runtime types (bool is not an int here)."""


def plan(fn: Callable[..., Any]) -> tuple[dict[str, Any], bool, bool, tuple[str, ...]]:
    """Per function, computed once: the annotation per parameter, whether it takes ``**kwargs``,
    whether it is async (a coroutine function, or an object with ``async def __call__``), and the
    names of its positional-only parameters (passed by position, see :func:`split_args`)."""
    return _cached_plan(fn)


def _plan(fn: Callable[..., Any]) -> tuple[dict[str, Any], bool, bool, tuple[str, ...]]:
    params = inspect.signature(fn).parameters
    hints = _hints(fn)
    annotations = {
        name: hints.get(name, Any) for name, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    call = type(fn).__call__ if not inspect.isroutine(fn) else None
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)
    positional = tuple(name for name, p in params.items() if p.kind is p.POSITIONAL_ONLY)
    return annotations, any(p.kind is p.VAR_KEYWORD for p in params.values()), is_async, positional


def split_args(fn_plan: Plan, kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The converted arguments as ``(args, kwargs)`` for the call: positional-only parameters
    (``def f(a, /)``) by position, in order, as far as the model gave them; the rest by name (a gap
    leaves the later ones in ``kwargs``, so the call itself reports the missing argument)."""
    positional = fn_plan[3]
    args: list[Any] = []
    for name in positional:
        if name not in kwargs:
            break
        args.append(kwargs.pop(name))
    return args, kwargs


_cached_plan = _PerFunction(_plan)


Plan = tuple[dict[str, Any], bool, bool, tuple[str, ...]]
"""What :func:`plan` returns."""


def convert_args(fn: Callable[..., Any], args: Mapping[str, Any], fn_plan: Plan | None = None) -> dict[str, Any]:
    """The model's JSON arguments as the annotated Python values (Enum, Literal, dataclass,
    TypedDict, msgspec Struct, pydantic model, datetime...); raises :class:`ArgumentError`.

    Arguments the function does not declare are dropped (as in the official SDK) unless it takes
    ``**kwargs``; a missing required argument is reported by the call itself. ``fn_plan``: ``plan(fn)``
    when the caller has it already.
    """
    annotations, takes_kwargs, _, _ = fn_plan or plan(fn)
    out: dict[str, Any] = {}
    for name, value in args.items():
        annotation = annotations.get(name)
        if annotation is None:
            if takes_kwargs:
                out[name] = value
            continue
        plain = _PLAIN.get(annotation)
        if plain is not None and type(value) in plain:  # the common case: str, int, float, bool
            out[name] = float(value) if annotation is float else value
            continue
        try:
            out[name] = _convert(value, annotation)
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            raise ArgumentError(f"argument {name!r}={value!r:.80}: {exc}") from exc
    return out


def _is_pydantic(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_validate") and hasattr(tp, "model_fields")


def _convert(value: Any, tp: Any) -> Any:
    if tp is Any:
        return value
    if _is_pydantic(tp):
        return tp.model_validate(value)  # pydantic's ValidationError is a ValueError
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if args and _mentions_pydantic(tp):
        if origin is Union or origin is _pytypes.UnionType:
            if value is None and type(None) in args:
                return None
            errors = []
            for option in args:
                try:
                    return _convert(value, option)
                except (msgspec.ValidationError, TypeError, ValueError) as exc:
                    errors.append(str(exc))
            raise ValueError(f"matches none of {_show(tp)}: {'; '.join(errors)}")
        if origin in _SEQUENCES and isinstance(value, list):
            return [_convert(v, args[0]) for v in value]
        if origin in _MAPPINGS and isinstance(value, Mapping):
            return {k: _convert(v, args[-1]) for k, v in value.items()}
    return msgspec.convert(value, tp, strict=False)


def _mentions_pydantic(tp: Any) -> bool:
    return _is_pydantic(tp) or any(_mentions_pydantic(a) for a in typing.get_args(tp))


def to_json_result(value: Any) -> Any:
    """A function's return value as JSON data for ``{"result": ...}``; raises TypeError when it
    cannot be sent (the model then gets an error naming the type)."""
    if type(value) in _SCALAR_RESULTS:
        return value
    return msgspec.to_builtins(value, enc_hook=_enc_hook)


_SCALAR_RESULTS = (str, int, float, bool, type(None))


def _enc_hook(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"a {type(value).__name__} cannot be sent to the model as JSON; return JSON data instead")
