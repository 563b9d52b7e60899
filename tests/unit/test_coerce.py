"""Contents and config coercion: both key spellings, the field table, and errors before sending."""

from __future__ import annotations

import dataclasses
import json
from typing import TypedDict

import msgspec
import pytest

from genai_async import errors, types
from genai_async._codec import encode
from genai_async._coerce import (
    CLIENT_FIELDS,
    REQUEST_FIELDS,
    generate_config,
    generate_request,
    model_path,
    parse_output,
)
from genai_async._contents import to_contents


def wire(obj: object) -> object:
    return json.loads(encode(obj))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gemini-3.5-flash", "models/gemini-3.5-flash"),
        ("models/gemini-3.5-flash", "models/gemini-3.5-flash"),
        ("tunedModels/my-model", "tunedModels/my-model"),
        (" gemini-2.0-flash-001 ", "models/gemini-2.0-flash-001"),
    ],
)
def test_model_names(given: str, expected: str) -> None:
    assert model_path(given) == expected


@pytest.mark.parametrize("bad", ["", "gemini 3", "models/", "a/b/c", "../etc", "gemini?x=1", None, 3])
def test_bad_model_names_rejected(bad: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="model="):
        model_path(bad)


def test_string_becomes_user_turn() -> None:
    assert wire(to_contents("Hi")) == [{"role": "user", "parts": [{"text": "Hi"}]}]


def test_list_of_parts_is_one_user_turn() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    out = wire(to_contents([png, "Tell me about this instrument"]))
    assert out == [
        {
            "role": "user",
            "parts": [
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAAAAAAAAA=="}},
                {"text": "Tell me about this instrument"},
            ],
        }
    ]


def test_multi_turn_dicts_in_both_spellings() -> None:
    out = wire(
        to_contents(
            [
                {"role": "user", "parts": [{"text": "Hello"}]},
                {"role": "model", "parts": [{"text": "Great to meet you."}]},
                {"role": "user", "parts": [{"inline_data": {"mime_type": "image/jpeg", "data": b"\xff\xd8\xff"}}]},
                {"role": "user", "parts": [{"inlineData": {"mimeType": "image/jpeg", "data": b"\xff\xd8\xff"}}]},
            ]
        )
    )
    assert out[2] == out[3]
    assert out[2]["parts"][0]["inlineData"] == {"mimeType": "image/jpeg", "data": "/9j/"}


def test_function_call_parts_group_into_a_model_turn() -> None:
    out = to_contents([types.Part.from_function_call(name="f", args={"a": 1})])
    assert out[0].role == "model"


@pytest.mark.parametrize("bad", [object(), 3.5, {"text": "a", "bogus": 1}, [[]], [[3.5]], b"\x00\x01"])
def test_unsendable_contents_raise_before_sending(bad: object) -> None:
    with pytest.raises(errors.ConfigurationError):
        to_contents(bad if isinstance(bad, list) else [bad])


@pytest.mark.parametrize("empty", [None, "", []])
def test_empty_contents_rejected(empty: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="empty"):
        to_contents(empty)


def test_content_without_parts_rejected() -> None:
    with pytest.raises(errors.ConfigurationError, match="no parts"):
        to_contents([{"role": "user", "parts": []}])


SEED_CONFIG = {
    "system_instruction": "You are a cat. Your name is Neko.",
    "max_output_tokens": 1000,
    "stop_sequences": ["Title"],
    "response_mime_type": "text/plain",
    "thinking_config": {"thinking_level": "low", "include_thoughts": True},
    "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
    "tools": [{"google_search": {}}],
    "cached_content": None,
}


def expected_wire() -> dict:
    return {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "systemInstruction": {"parts": [{"text": "You are a cat. Your name is Neko."}]},
        "tools": [{"googleSearch": {}}],
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
        "generationConfig": {
            "stopSequences": ["Title"],
            "responseMimeType": "text/plain",
            "maxOutputTokens": 1000,
            "thinkingConfig": {"includeThoughts": True, "thinkingLevel": "LOW"},
        },
    }


def camelise(d: object) -> object:
    if isinstance(d, dict):
        return {
            "".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_"))): camelise(v) for k, v in d.items()
        }
    if isinstance(d, list):
        return [camelise(v) for v in d]
    return d


@pytest.mark.parametrize("spelling", ["snake", "camel", "struct"])
def test_config_flattens_into_request_in_every_spelling(spelling: str) -> None:
    if spelling == "snake":
        cfg = SEED_CONFIG
    elif spelling == "camel":
        cfg = camelise(SEED_CONFIG)
    else:
        cfg = types.GenerateContentConfig(
            system_instruction="You are a cat. Your name is Neko.",
            max_output_tokens=1000,
            stop_sequences=["Title"],
            response_mime_type="text/plain",
            thinking_config=types.ThinkingConfig(thinking_level="low", include_thoughts=True),
            safety_settings=[types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH")],
            tools=[types.Tool(google_search=types.GoogleSearch())],
        )
    got = wire(generate_request("Hi", generate_config(cfg)))
    assert got == expected_wire()


def test_struct_config_with_nested_dicts_is_normalised() -> None:
    cfg = types.GenerateContentConfig(thinking_config={"thinking_level": "high"})  # type: ignore[arg-type]
    got = wire(generate_request("Hi", generate_config(cfg)))
    assert got["generationConfig"] == {"thinkingConfig": {"thinkingLevel": "HIGH"}}  # type: ignore[index]


def test_unknown_config_key_names_the_closest_field() -> None:
    with pytest.raises(errors.ConfigurationError, match="temprature.*did you mean 'temperature'"):
        generate_config({"temprature": 0.5})


def test_nested_unknown_key_names_its_path() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"config\.thinking_config: unknown key 'level'"):
        generate_config({"thinking_config": {"level": "low"}})


def test_wrong_value_type_names_its_path() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"config\.temperature must be float"):
        generate_config({"temperature": "hot"})


def test_field_table_covers_every_config_field() -> None:
    config_fields = {f.name for f in msgspec.structs.fields(types.GenerateContentConfig)}
    wire_fields = {f.name for f in msgspec.structs.fields(types.GenerationConfig)}
    request_fields = {f.name for f in msgspec.structs.fields(types.GenerateContentRequest)}
    generation = config_fields - REQUEST_FIELDS - CLIENT_FIELDS
    assert REQUEST_FIELDS <= request_fields
    assert CLIENT_FIELDS <= config_fields
    assert generation - {"response_schema"} <= wire_fields


class Recipe(msgspec.Struct):
    recipe_name: str
    ingredients: list[str]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [
        (Recipe, '{"recipe_name": "Soup", "ingredients": ["water"]}', Recipe("Soup", ["water"])),
        (list[Recipe], '[{"recipe_name": "A", "ingredients": []}]', [Recipe("A", [])]),
        (Point, '{"x": 1, "y": 2}', Point(1, 2)),
        (Movie, '{"title": "Up", "year": 2009}', {"title": "Up", "year": 2009}),
        ({"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}, '{"a": "b"}', {"a": "b"}),
        (None, '{"a": [1, 2]}', {"a": [1, 2]}),
    ],
)
def test_parsed_output(schema: object, text: str, expected: object) -> None:
    cfg = generate_config({"response_mime_type": "application/json", "response_schema": schema})
    assert parse_output(text, cfg) == (expected, None)


def test_python_type_schema_is_sent_as_json_schema() -> None:
    cfg = generate_config({"response_mime_type": "application/json", "response_schema": list[Recipe]})
    gen = wire(generate_request("x", cfg))["generationConfig"]  # type: ignore[index]
    assert "responseSchema" not in gen
    schema = gen["responseJsonSchema"]
    assert schema["type"] == "array" and "$defs" in schema


def test_openapi_dict_schema_is_sent_as_response_schema() -> None:
    schema = {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}
    cfg = generate_config({"response_mime_type": "application/json", "response_schema": schema})
    gen = wire(generate_request("x", cfg))["generationConfig"]  # type: ignore[index]
    assert gen["responseSchema"] == schema
