"""Validation parity (gemini-rest.md §13.4): what the service refuses, with its status and wording.

Every case is refused by the default (strict) emulator and accepted by ``Emulator(strict=False)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from genai_async.emulator import _app, running

from .emulator_helpers import MODEL, Api, model_turn, user

GENERATE = f"/v1beta/models/{MODEL}:generateContent"


def call(name: str = "get_weather", signature: str | None = "c2ln") -> dict[str, Any]:
    part: dict[str, Any] = {"functionCall": {"name": name, "args": {"city": "Zurich"}}}
    if signature:
        part["thoughtSignature"] = signature
    return part


def answer(name: str = "get_weather") -> dict[str, Any]:
    return {"functionResponse": {"name": name, "response": {"output": "sunny"}}}


TOOLS = [{"functionDeclarations": [{"name": "get_weather", "description": "Weather in a city"}]}]
CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "call turn after a model turn",
        {"contents": [user("Hi"), model_turn("Hello"), {"role": "model", "parts": [call()]}], "tools": TOOLS},
        "Please ensure that function call turn comes immediately after a user turn or after a function response turn.",
    ),
    (
        "response turn with one part for two calls",
        {
            "contents": [
                user("Weather?"),
                {"role": "model", "parts": [call(), call(signature=None)]},
                {"role": "user", "parts": [answer()]},
            ],
            "tools": TOOLS,
        },
        "Please ensure that the number of function response parts is equal to the number of function call parts",
    ),
    (
        "response turn without a call",
        {"contents": [user("Weather?"), {"role": "user", "parts": [answer()]}], "tools": TOOLS},
        "Please ensure that function response turn comes immediately after a function call turn.",
    ),
    (
        "Gemini 3 call replayed without its signature",
        {
            "contents": [
                user("Weather?"),
                {"role": "model", "parts": [call(signature=None)]},
                {"role": "user", "parts": [answer()]},
            ],
            "tools": TOOLS,
        },
        "Function call is missing a thought_signature in functionCall parts.",
    ),
    (
        "empty text part",
        {"contents": [user("Hi"), {"role": "user", "parts": [{"text": "ok"}, {"text": ""}]}]},
        "* GenerateContentRequest.contents[1].parts[1].data: required oneof field 'data' must have one initialized field",
    ),
    (
        "empty part",
        {"contents": [{"role": "user", "parts": [{}]}]},
        "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data'",
    ),
    (
        "unknown name in a part",
        {"contents": [{"role": "user", "parts": [{"txt": "Hi"}]}]},
        "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field.",
    ),
    (
        "unknown name in a function declaration",
        {"contents": [user("Hi")], "tools": [{"function_declarations": [{"name": "f", "descripton": "x"}]}]},
        "Unknown name \"descripton\" at 'tools[0].function_declarations[0]': Cannot find field.",
    ),
    (
        "unknown name in a safety setting",
        {"contents": [user("Hi")], "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "level": "x"}]},
        "Unknown name \"level\" at 'safety_settings[0]': Cannot find field.",
    ),
    (
        "invalid enum value",
        {"contents": [user("Hi")], "safetySettings": [{"category": "HARM_CATEGORY_FOO", "threshold": "BLOCK_NONE"}]},
        "Invalid value at 'safety_settings[0].category' "
        '(type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), "HARM_CATEGORY_FOO"',
    ),
    (
        "wrong-typed value",
        {"contents": [user("Hi")], "generationConfig": {"temperature": "hot"}},
        "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\"",
    ),
    (
        "image output from a text model",
        {"contents": [user("Draw a cat")], "generationConfig": {"responseModalities": ["IMAGE"]}},
        "response modalities (IMAGE) is not supported by the model models/gemini-3.5-flash",
    ),
]


@pytest.fixture
async def lenient() -> AsyncIterator[Api]:
    async with running(strict=False) as emulator, aiohttp.ClientSession() as session:
        yield Api(session, emulator)


@pytest.mark.parametrize(("case", "body", "message"), CASES, ids=[c[0] for c in CASES])
async def test_refused_like_the_service(api: Api, lenient: Api, case: str, body: dict[str, Any], message: str) -> None:
    result = await api.post(GENERATE, body)
    error = result.json()["error"]
    assert (result.status, error["status"]) == (400, "INVALID_ARGUMENT"), error
    assert message in error["message"]
    if case != "wrong-typed value":  # the old emulator refused it too, as out of range
        assert (await lenient.post(GENERATE, body)).status == 200  # strict=False: the old leniency


async def test_unknown_names_are_all_reported_with_field_violations(api: Api) -> None:
    body = {"contents": [{"parts": [{"text": "Hi", "thougth": True}], "rol": "user"}]}
    error = (await api.post(GENERATE, body)).json()["error"]
    violations = error["details"][0]["fieldViolations"]
    assert [v["field"] for v in violations] == ["contents[0].parts[0]", "contents[0]"]
    assert "Unknown name \"rol\" at 'contents[0]'" in error["message"]


async def test_known_fields_in_either_spelling_and_valid_values_pass(api: Api) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "safety_settings": [{"category": "harm_category_harassment", "threshold": "BLOCK_ONLY_HIGH"}],
        "generation_config": {"temperature": "0.5", "max_output_tokens": 64.0, "response_modalities": ["TEXT"]},
        "tool_config": {"function_calling_config": {"mode": "AUTO"}},
    }
    assert (await api.post(GENERATE, body)).status == 200


async def test_signature_is_only_needed_in_the_current_turn(api: Api) -> None:
    older = [
        user("Weather?"),
        {"role": "model", "parts": [call(signature=None)]},
        {"role": "user", "parts": [answer()]},
    ]
    body = {"contents": [*older, model_turn("Sunny."), user("Thanks! And tomorrow?")], "tools": TOOLS}
    assert (await api.post(GENERATE, body)).status == 200
    old_model = {"contents": older, "tools": TOOLS}  # Gemini 2.x does not check signatures
    assert (await api.post("/v1beta/models/gemini-2.5-flash:generateContent", old_model)).status == 200


async def test_prompt_over_the_input_limit(api: Api) -> None:
    api.emulator.models[2]["inputTokenLimit"] = 10  # gemini-3.5-flash
    error = (
        await api.post(GENERATE, {"contents": [user("one two three four five six seven eight nine ten eleven")]})
    ).json()["error"]
    assert error["message"] == "The input token count (11) exceeds the maximum number of tokens allowed (10)."


async def test_cache_below_the_minimum(api: Api, lenient: Api) -> None:
    body = {"model": f"models/{MODEL}", "contents": [user("Too short to cache.")], "ttl": "60s"}
    result = await api.post("/v1beta/cachedContents", body)
    assert result.status == 400
    assert (
        result.json()["error"]["message"]
        == "Cached content is too small. total_token_count=5, min_total_token_count=1024"
    )
    assert (await lenient.post("/v1beta/cachedContents", body)).status == 200


async def test_body_over_the_limit_gets_the_json_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_app, "MAX_BODY_BYTES", 1024)
    async with running() as emulator, aiohttp.ClientSession() as session:
        result = await Api(session, emulator).post(GENERATE, {"contents": [user("x" * 4096)]})
    assert result.status == 400 and result.headers["content-type"] == "application/json; charset=UTF-8"
    assert result.json()["error"] == {
        "code": 400,
        "message": "Request payload size exceeds the limit: 1024 bytes.",
        "status": "INVALID_ARGUMENT",
    }


async def test_count_tokens_checks_names_and_parts(api: Api) -> None:
    path = f"/v1beta/models/{MODEL}:countTokens"
    bad_name = await api.post(path, {"contents": [{"parts": [{"txt": "Hi"}]}]})
    assert "Unknown name \"txt\" at 'contents[0].parts[0]'" in bad_name.json()["error"]["message"]
    empty = await api.post(path, {"contents": [{"parts": [{"text": ""}]}]})
    assert (
        "CountTokensRequest.contents[0].parts[0].data: required oneof field 'data'" in empty.json()["error"]["message"]
    )
