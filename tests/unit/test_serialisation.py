"""model_dump / model_dump_json / to_json_dict / model_validate behave like the official SDK's
pydantic models, and msgspec.json.encode(response) works whatever ``parsed`` holds."""

from __future__ import annotations

import base64
import json
from typing import Any

import msgspec
import pydantic
import pytest

from genai_async import errors, types
from tests.conftest import fixture_bytes, fixture_json

official = pytest.importorskip("google.genai.types")


def _response(name: str = "generate_text.json") -> types.GenerateContentResponse:
    return msgspec.json.decode(fixture_bytes(name), type=types.GenerateContentResponse)


def _official(name: str) -> Any:
    wire = fixture_json(name)
    wire.get("usageMetadata", {}).pop("serviceTier", None)  # newer than the installed SDK (extra=forbid)
    return official.GenerateContentResponse.model_validate(wire)


@pytest.mark.parametrize("name", ["generate_text.json", "generate_function_call.json", "generate_grounded.json"])
def test_to_json_dict_matches_the_official_sdk(name: str) -> None:
    ours = _response(name).to_json_dict()
    theirs = _official(name).to_json_dict()
    ours.get("usage_metadata", {}).pop("service_tier", None)
    assert ours == theirs


def test_model_dump_keeps_none_and_python_values_like_pydantic() -> None:
    r = _response()
    dumped = r.model_dump()
    assert dumped["prompt_feedback"] is None and dumped["parsed"] is None  # every field, unset ones too
    assert dumped["candidates"][0]["finish_reason"] is types.FinishReason.STOP  # an enum member in Python mode
    assert set(_official("generate_text.json").model_dump()) - set(dumped) <= {
        "sdk_http_response",
        "automatic_function_calling_history",
    }


def test_bytes_python_and_json_modes() -> None:
    part = types.Part.from_bytes(data=b"\xfb\xff\xfe", mime_type="image/png")
    assert part.model_dump(exclude_none=True) == {"inline_data": {"mime_type": "image/png", "data": b"\xfb\xff\xfe"}}
    theirs = official.Part.from_bytes(data=b"\xfb\xff\xfe", mime_type="image/png").to_json_dict()
    assert part.to_json_dict() == theirs == {"inline_data": {"data": "-__-", "mime_type": "image/png"}}
    assert types.Part.model_validate(part.to_json_dict()) == part  # URL-safe alphabet
    wire = {"inlineData": {"data": base64.b64encode(b"\xfb\xff\xfe").decode(), "mimeType": "image/png"}}
    assert types.Part.model_validate(wire) == part  # the wire's standard alphabet


def test_by_alias_gives_wire_names() -> None:
    dumped = _response().model_dump(mode="json", exclude_none=True, by_alias=True)
    assert dumped == {k: v for k, v in fixture_json("generate_text.json").items()}


def test_model_dump_json_is_json_of_json_mode() -> None:
    r = _response()
    text = r.model_dump_json(exclude_none=True, indent=2)
    assert json.loads(text) == r.to_json_dict() and "\n  " in text
    assert json.loads(r.model_dump_json())["prompt_feedback"] is None


def test_model_validate_round_trips_both_spellings_and_instances() -> None:
    r = _response("generate_grounded.json")
    assert types.GenerateContentResponse.model_validate(r.to_json_dict()) == r
    assert types.GenerateContentResponse.model_validate(r.model_dump()) == r
    assert types.GenerateContentResponse.model_validate(fixture_json("generate_grounded.json")) == r
    assert types.GenerateContentResponse.model_validate(r) is r


def test_model_validate_rejects_unknown_keys_with_a_hint() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"did you mean 'candidates'\?"):
        types.GenerateContentResponse.model_validate({"candidate": []})
    with pytest.raises(errors.ConfigurationError, match=r"Candidate.*did you mean 'finish_reason'\?"):
        types.GenerateContentResponse.model_validate({"candidates": [{"finish_reasons": "STOP"}]})
    with pytest.raises(errors.ConfigurationError, match="model_validate"):
        types.Part.model_validate({"text": 5})
    with pytest.raises(errors.ConfigurationError, match="takes a dict"):
        types.Part.model_validate("text")
    with pytest.raises(errors.ConfigurationError, match="mode"):
        types.Part(text="x").model_dump(mode="yaml")


class City(pydantic.BaseModel):
    name: str
    population: int


def test_parsed_pydantic_object_serialises() -> None:
    r = _response()
    r.parsed = City(name="Zurich", population=400_000)
    assert msgspec.json.decode(msgspec.json.encode(r)) == fixture_json("generate_text.json")  # the wire form
    assert r.to_json_dict()["parsed"] == {"name": "Zurich", "population": 400_000}
    assert r.model_dump()["parsed"] is r.parsed
    again = types.GenerateContentResponse.model_validate(r.model_dump())
    assert again == r and again.parsed is r.parsed


def test_parsed_struct_serialises_in_json_mode() -> None:
    class Point(msgspec.Struct):
        x: int

    r = _response()
    r.parsed = [Point(1), Point(2)]
    assert r.to_json_dict()["parsed"] == [{"x": 1}, {"x": 2}]
