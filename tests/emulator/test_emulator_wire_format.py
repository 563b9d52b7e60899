"""The emulator's fast JSON layout writes exactly the standard library's bytes (issue 20b).

``_wire.pretty`` no longer runs ``json.dumps(indent=2)`` (pure Python) but the C one-line encoder
followed by ``msgspec.json.format``; these tests pin that the bytes did not change: against
``json.dumps`` on arbitrary JSON values, and against the captured unary bodies in tests/fixtures.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_async.emulator._wire import pretty, pretty_element

from .emulator_helpers import FIXTURES

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # lone surrogates cannot be UTF-8
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | (st.floats(allow_nan=True, allow_infinity=True))
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT | st.integers(), inner, max_size=5),
    max_leaves=30,
)


_SIMPLE = st.recursive(
    st.booleans() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40) | _TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


def stdlib(obj: Any) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False).encode()


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_pretty_writes_the_standard_librarys_bytes(value: Any) -> None:
    assert pretty_element(value) == stdlib(value)
    assert pretty(value) == stdlib(value) + b"\n"


@settings(max_examples=400, deadline=None)
@given(_SIMPLE)
def test_the_simple_path_writes_the_standard_librarys_bytes(value: Any) -> None:
    """``simple=True`` (no floats, no None: a generated text answer) takes msgspec's encoder."""
    assert pretty(value, simple=True) == stdlib(value) + b"\n"


@pytest.mark.parametrize(
    "value",
    [
        {"a": [], "b": {}, "c": [[], [{}], {"d": []}]},
        {"floats": [0.1, 1.5, 1e16, 1e-05, -0.0, 1e308, 5e-324, 123456789.123456789]},
        {"text": 'é \u2028 \n\t\x01\x7f"\\/ 日本 🎉', "key: with, separators": "a: b, c"},
        {"nan": math.nan, "inf": [math.inf, -math.inf]},  # not JSON: the stdlib's spelling, via the slow path
        {1: "int key", 2.5: "float key", False: "bool key", None: "null key"},
        10**30,
        "a bare string",
        [],
    ],
)
def test_pretty_edge_cases(value: Any) -> None:
    assert pretty(value) == stdlib(value) + b"\n"


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.json") if p.name != "stream_json_array.json"))
def test_pretty_reproduces_the_captured_unary_bodies(path: str) -> None:
    raw = (FIXTURES / path).read_bytes()
    assert pretty(json.loads(raw)) == raw


def test_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        pretty({"text": "\ud800"})
