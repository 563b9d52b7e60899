"""Python callables as function declarations, and the model's arguments back to Python types (pure)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import typing
from typing import Any, Literal, Optional, TypedDict

import msgspec
import pytest

from genai_async import errors, types
from genai_async._callables import ArgumentError, convert_args, declaration, to_json_result
from genai_async._normalize import to_struct

try:
    import pydantic

    class Item(pydantic.BaseModel):
        name: str
        price: float = 0.0
except ImportError:  # pragma: no cover - pydantic comes with the dev extra
    pydantic = None


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def get_weather(
    city: str,
    days: int = 3,
    unit: Literal["c", "f"] = "c",
    color: Color = Color.RED,
    tags: list[str] | None = None,
    opt: Optional[int] = None,  # noqa: UP045 - the spelling users write
    flag: bool = False,
    ratio: float = 1.5,
    mapping: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Get the weather.

    Args:
      city: the city
    """
    return {}


def test_declaration_matches_the_official_sdk() -> None:
    genai_types = pytest.importorskip("google.genai.types")

    class GeminiClient:
        vertexai = False

    official = genai_types.FunctionDeclaration.from_callable(client=GeminiClient(), callable=get_weather)
    expected = to_struct(official.model_dump(mode="json", exclude_none=True), types.FunctionDeclaration)
    assert types.FunctionDeclaration.from_callable(callable=get_weather) == expected


def test_declaration_wire_shape() -> None:
    def search(query: str, limit: int = 5) -> list[str]:
        """Search the docs."""
        return []

    wire = msgspec.json.decode(msgspec.json.encode(declaration(search)))
    assert wire == {
        "name": "search",
        "description": "Search the docs.",
        "parameters": {
            "type": "OBJECT",
            "properties": {"query": {"type": "STRING"}, "limit": {"type": "INTEGER", "default": 5}},
            "required": ["query"],
        },
    }


def test_no_parameters_and_no_docstring() -> None:
    def ping():  # type: ignore[no-untyped-def]
        pass

    assert declaration(ping) == types.FunctionDeclaration(name="ping")


@dataclasses.dataclass
class Point:
    x: int
    y: float = 0.0


class Address(TypedDict):
    street: str
    number: int


class Order(msgspec.Struct):
    item: str
    quantity: int = 1


def test_structured_parameters_become_objects() -> None:
    def place(point: Point, address: Address, order: Order, when: datetime.date, points: list[Point]) -> None:
        """Place things."""

    params = declaration(place).parameters
    assert params is not None and params.properties is not None
    props = params.properties
    assert props["point"] == types.Schema(
        type="OBJECT",
        properties={"x": types.Schema(type="INTEGER"), "y": types.Schema(type="NUMBER", default=0.0)},
        required=["x"],
    )
    assert props["address"].required == ["street", "number"]
    assert props["order"].properties == {
        "item": types.Schema(type="STRING"),
        "quantity": types.Schema(type="INTEGER", default=1),
    }
    assert props["when"] == types.Schema(type="STRING", format="date")
    assert props["points"].type == "ARRAY" and props["points"].items == props["point"]
    assert params.required == ["point", "address", "order", "when", "points"]


@pytest.mark.skipif(pydantic is None, reason="needs pydantic")
def test_pydantic_parameter() -> None:
    def buy(item: Item) -> None:
        """Buy."""

    props = declaration(buy).parameters.properties  # type: ignore[union-attr]
    assert props["item"] == types.Schema(
        type="OBJECT",
        properties={"name": types.Schema(type="STRING"), "price": types.Schema(type="NUMBER", default=0.0)},
        required=["name"],
    )


def test_union_becomes_any_of() -> None:
    def f(x: int | str | None = None) -> None:
        """F."""

    props = declaration(f).parameters.properties  # type: ignore[union-attr]
    assert props["x"] == types.Schema(any_of=[types.Schema(type="INTEGER"), types.Schema(type="STRING")], nullable=True)


@dataclasses.dataclass
class Node:
    value: int
    child: Node | None = None


def _bad_literal(level: Literal[1, 2]) -> None: ...
def _unannotated(x) -> None: ...  # type: ignore[no-untyped-def]
def _recursive(node: Node) -> None: ...
def _fixed_tuple(pair: tuple[int, str]) -> None: ...
def _object(thing: object) -> None: ...


class Number(enum.Enum):
    ONE = 1


def _int_enum(n: Number) -> None: ...


@pytest.mark.parametrize(
    ("fn", "param"),
    [
        (_bad_literal, "level"),
        (_unannotated, "x"),
        (_recursive, "node"),
        (_fixed_tuple, "pair"),
        (_object, "thing"),
        (_int_enum, "n"),
    ],
)
def test_inexpressible_annotation_names_the_parameter(fn: Any, param: str) -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        declaration(fn)
    assert f"parameter {param!r}" in str(info.value)
    assert fn.__name__ in str(info.value)


def test_from_callable_returns_a_fresh_object_and_takes_behavior() -> None:
    first = types.FunctionDeclaration.from_callable(callable=get_weather)
    first.name = "changed"
    second = types.FunctionDeclaration.from_callable(client=object(), callable=get_weather, behavior="NON_BLOCKING")
    assert second.name == "get_weather" and second.behavior == "NON_BLOCKING"


# ---------------------------------------------------------------------------- arguments


def test_arguments_are_converted_to_the_annotations() -> None:
    seen: dict[str, Any] = {}

    def f(
        color: Color,
        unit: Literal["c", "f"],
        point: Point,
        address: Address,
        order: Order,
        when: datetime.date,
        count: int,
        ratio: float,
        points: list[Point],
    ) -> None:
        seen.update({k: v for k, v in locals().items() if k != "seen"})

    args = convert_args(
        f,
        {
            "color": "blue",
            "unit": "f",
            "point": {"x": 1},
            "address": {"street": "Main", "number": 3},
            "order": {"item": "tea"},
            "when": "2026-01-02",
            "count": 3,
            "ratio": 2,
            "points": [{"x": 2, "y": 1.5}],
            "extra": "dropped",
        },
    )
    f(**args)
    assert seen == {
        "color": Color.BLUE,
        "unit": "f",
        "point": Point(1),
        "address": {"street": "Main", "number": 3},
        "order": Order("tea"),
        "when": datetime.date(2026, 1, 2),
        "count": 3,
        "ratio": 2.0,
        "points": [Point(2, 1.5)],
    }


@pytest.mark.skipif(pydantic is None, reason="needs pydantic")
def test_pydantic_arguments() -> None:
    def f(item: Item, items: list[Item], maybe: Item | None = None) -> None: ...

    args = convert_args(f, {"item": {"name": "a"}, "items": [{"name": "b"}], "maybe": None})
    assert args == {"item": Item(name="a"), "items": [Item(name="b")], "maybe": None}
    with pytest.raises(ArgumentError, match="'item'"):
        convert_args(f, {"item": {"nom": "a"}})


def test_kwargs_function_receives_undeclared_arguments() -> None:
    def f(a: int, **rest: Any) -> None: ...

    assert convert_args(f, {"a": 1, "b": 2}) == {"a": 1, "b": 2}


@pytest.mark.parametrize(("value", "tp"), [("purple", Color), ("x", Literal["c", "f"]), ({"y": 1}, Point), ("n", int)])
def test_bad_argument_is_an_argument_error(value: Any, tp: Any) -> None:
    def f(arg):  # type: ignore[no-untyped-def]
        pass

    f.__annotations__ = {"arg": tp}
    with pytest.raises(ArgumentError, match="'arg'"):
        convert_args(f, {"arg": value})


def test_results_become_json() -> None:
    assert to_json_result(Point(1, 2.0)) == {"x": 1, "y": 2.0}
    assert to_json_result(Color.RED) == "red"
    assert to_json_result(datetime.date(2026, 1, 2)) == "2026-01-02"
    with pytest.raises(TypeError, match="object"):
        to_json_result(object())


def test_typing_helpers_are_stable() -> None:
    assert typing.get_type_hints(get_weather)["city"] is str
