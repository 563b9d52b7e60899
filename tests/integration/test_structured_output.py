"""Structured output never loses the answer: a JSON answer that does not fit ``response_schema`` (or is
no JSON at all) leaves ``parsed=None`` and says why on ``parse_error``, for every schema kind, in
unary calls, streams and chats (the chat turn is stored)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypedDict

import msgspec
import pydantic
import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"


class PydCity(pydantic.BaseModel):
    city: str
    degrees: int


class MsgCity(msgspec.Struct):
    city: str
    degrees: int


@dataclasses.dataclass
class DcCity:
    city: str
    degrees: int


class TdCity(TypedDict):
    city: str
    degrees: int


SCHEMAS: list[Any] = [PydCity, MsgCity, DcCity, TdCity, list[MsgCity], list[PydCity]]
GOOD = {
    PydCity: PydCity(city="Zurich", degrees=21),
    MsgCity: MsgCity("Zurich", 21),
    DcCity: DcCity("Zurich", 21),
    TdCity: {"city": "Zurich", "degrees": 21},
}
MISFIT = '{"city": "Zurich", "degrees": "warm"}'  # JSON, but degrees is not an int
MISFIT_LIST = '[{"city": "Zurich"}]'


def _body(text: str) -> dict[str, Any]:
    body = fixture_json("generate_text.json")
    body["candidates"][0]["content"]["parts"] = [{"text": text}]
    return body


def _sse(text: str) -> list[bytes]:
    body = _body(text)
    head, tail = text[: len(text) // 2], text[len(text) // 2 :]
    first = {"candidates": [{"content": {"role": "model", "parts": [{"text": head}]}}]}
    body["candidates"][0]["content"]["parts"] = [{"text": tail}]
    return [f"data: {json.dumps(first)}\r\n\r\n".encode(), f"data: {json.dumps(body)}\r\n\r\n".encode()]


def _config(schema: Any) -> dict[str, Any]:
    return {"response_mime_type": "application/json", "response_schema": schema}


def _misfit(schema: Any) -> str:
    return MISFIT_LIST if getattr(schema, "__origin__", None) is list else MISFIT


def _check_kept(r: genai_async.types.GenerateContentResponse, text: str, kind: str) -> None:
    assert r.parsed is None
    assert r.text == text  # the answer is all there
    assert r.usage_metadata is not None and r.usage_metadata.total_token_count == 77
    assert isinstance(r.parse_error, errors.ParseError)
    assert r.parse_error.kind == kind
    assert r.parse_error.text == text


@pytest.mark.parametrize("schema", SCHEMAS, ids=repr)
async def test_unary_misfit_keeps_answer(server: Scripted, client: genai_async.Client, schema: Any) -> None:
    text = _misfit(schema)
    server.reply_json(_body(text))
    r = await client.models.generate_content(model=MODEL, contents="x", config=_config(schema))
    _check_kept(r, text, "schema_mismatch")
    assert "response_schema" in str(r.parse_error)


@pytest.mark.parametrize("schema", [*SCHEMAS, None], ids=repr)
async def test_unary_not_json_keeps_answer(server: Scripted, client: genai_async.Client, schema: Any) -> None:
    server.reply_json(_body("Sorry, I cannot answer in JSON."))
    r = await client.models.generate_content(model=MODEL, contents="x", config=_config(schema))
    _check_kept(r, "Sorry, I cannot answer in JSON.", "invalid_json")
    assert isinstance(r.parse_error, ValueError)


@pytest.mark.parametrize("schema", list(GOOD), ids=repr)
async def test_unary_fit_parses_without_error(server: Scripted, client: genai_async.Client, schema: Any) -> None:
    server.reply_json(_body('{"city": "Zurich", "degrees": 21}'))
    r = await client.models.generate_content(model=MODEL, contents="x", config=_config(schema))
    assert r.parsed == GOOD[schema]
    assert r.parse_error is None


async def test_no_structured_output_asked_means_no_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(_body("plain"))
    r = await client.models.generate_content(model=MODEL, contents="x")
    assert r.parsed is None and r.parse_error is None


@pytest.mark.parametrize("schema", SCHEMAS, ids=repr)
async def test_stream_misfit_keeps_answer(server: Scripted, client: genai_async.Client, schema: Any) -> None:
    text = _misfit(schema)
    server.reply_stream(_sse(text))
    stream = await client.models.generate_content_stream(model=MODEL, contents="x", config=_config(schema))
    chunks = [chunk async for chunk in stream]
    assert len(chunks) == 2
    _check_kept(stream.response, text, "schema_mismatch")
    assert client.open_connections <= 1  # released to the pool, not leaked


async def test_chat_turn_is_stored_when_output_does_not_fit(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(_body(MISFIT))
    chat = client.chats.create(model=MODEL, config=_config(PydCity))
    r = await chat.send_message("weather?")
    _check_kept(r, MISFIT, "schema_mismatch")
    history = chat.get_history()
    assert [c.role for c in history] == ["user", "model"]
    assert history[1].parts is not None and history[1].parts[0].text == MISFIT


async def test_chat_stream_turn_is_stored_when_output_does_not_fit(
    server: Scripted, client: genai_async.Client
) -> None:
    server.reply_stream(_sse(MISFIT))
    chat = client.chats.create(model=MODEL, config=_config(PydCity))
    async with chat.send_message_stream("weather?") as stream:
        async for _ in stream:
            pass
    _check_kept(stream.response, MISFIT, "schema_mismatch")
    assert [c.role for c in chat.get_history()] == ["user", "model"]


async def test_enum_output_that_is_no_member(server: Scripted, client: genai_async.Client) -> None:
    import enum

    class Mood(enum.Enum):
        HAPPY = "happy"
        SAD = "sad"

    server.reply_json(_body("grumpy"))
    r = await client.models.generate_content(
        model=MODEL, contents="x", config={"response_mime_type": "text/x.enum", "response_schema": Mood}
    )
    _check_kept(r, "grumpy", "schema_mismatch")


async def test_encoding_a_response_skips_client_side_fields(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(_body('{"city": "Zurich", "degrees": 21}'))
    r = await client.models.generate_content(model=MODEL, contents="x", config=_config(PydCity))
    assert isinstance(r.parsed, PydCity)
    wire = msgspec.json.decode(msgspec.json.encode(r))  # a pydantic `parsed` does not break encoding
    assert "parsed" not in wire and wire["candidates"][0]["content"]["parts"][0]["text"].startswith("{")
