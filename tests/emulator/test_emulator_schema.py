"""Pure checks of the emulator's schema-instance generator and tokenizer (no server)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_async.emulator._schema import Hints, check, instance
from genai_async.emulator._tokens import count_text, split_tokens

SCHEMAS: list[dict[str, Any]] = [
    {"type": "STRING"},
    {"type": "INTEGER", "minimum": 5, "maximum": 9},
    {"type": "NUMBER", "minimum": -1.5, "maximum": 1.5},
    {"type": "BOOLEAN"},
    {"type": "STRING", "format": "date-time"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "minLength": 30, "maxLength": 40},
    {"type": ["string", "null"]},
    {"const": "fixed"},
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
    {"type": "OBJECT", "properties": {"a": {"type": "STRING", "nullable": True}}, "required": ["a"]},
    {"anyOf": [{"type": "string", "enum": ["x", "y"]}, {"type": "integer"}]},
    {"oneOf": [{"type": "boolean"}, {"type": "null"}]},
    {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["value"],
            }
        },
        "$ref": "#/$defs/node",
    },
    {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 4, "maxItems": "6"}},
        "required": ["tags"],
        "additionalProperties": False,
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("seed", range(5))
def test_generated_instances_validate(schema: dict[str, Any], seed: int) -> None:
    value = instance(schema, random.Random(seed))
    assert check(value, schema) == [], value


def test_generation_is_deterministic_and_uses_hints() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
    hints = Hints(names=["Zurich"], numbers=[3.0], text="weather in zurich for 3 days", keyword="weather")
    first = instance(schema, random.Random(1), hints)
    assert first == instance(schema, random.Random(1), hints)
    assert first == {"city": "Zurich", "days": 3}


def test_checker_reports_problems() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}}, "required": ["n", "m"]}
    problems = check({"n": 7}, schema)
    assert any("missing 'm'" in p for p in problems) and any("above maximum" in p for p in problems)
    assert check(True, {"type": "integer"})  # a bool is not an integer


@pytest.mark.parametrize("text", ["How does AI work?", "  leading and trailing  ", "λ⁴ — ✅ done.\n\nNext", ""])
def test_tokens_rejoin_to_the_text(text: str) -> None:
    assert "".join(split_tokens(text)) == text
    assert count_text(text) == len(split_tokens(text))


_ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
_ASCII_TEXT = st.text(st.characters(max_codepoint=127), max_size=80) | st.text(
    "ab_1 .,'\t\n\x0b\x1c\x1f\x00\x7f", max_size=80
)


@settings(max_examples=600, deadline=None)
@given(_ANY_TEXT | _ASCII_TEXT | st.text("a_1 é", max_size=60))
def test_the_fast_count_counts_as_the_tokenizer(text: str) -> None:
    assert count_text(text) == len(split_tokens(text))
