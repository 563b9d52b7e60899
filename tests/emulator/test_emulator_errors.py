"""Error envelopes (compared with tests/fixtures/error_*.json), validation and scripted replies."""

from __future__ import annotations

import aiohttp
import pytest

from genai_async.emulator import Emulator, running

from .emulator_helpers import MODEL, Api, fixture_bytes, sse_events, user

GENERATE = f"/v1beta/models/{MODEL}:generateContent"
STREAM = f"/v1beta/models/{MODEL}:streamGenerateContent"
HELLO = {"contents": [user("Hello")]}


def assert_envelope(result: object, code: int, status: str) -> dict[str, object]:
    body = result.json()  # type: ignore[attr-defined]
    assert result.status == code  # type: ignore[attr-defined]
    assert result.headers["content-type"] == "application/json; charset=UTF-8"  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["status"] == status
    assert result.body.endswith(b"}\n")  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


async def test_missing_key_is_403_like_the_fixture(api: Api) -> None:
    result = await api.post(GENERATE, HELLO, key=None)
    assert result.status == 403
    assert result.body == fixture_bytes("error_403.json")


async def test_wrong_key_is_400_api_key_invalid(session: aiohttp.ClientSession) -> None:
    async with running(api_key="right") as emu:
        api = Api(session, emu)
        wrong = await api.post(GENERATE, HELLO, key="wrong")
        assert wrong.status == 400 and wrong.body == fixture_bytes("error_400.json")
        assert (await api.post(GENERATE, HELLO, key="right")).status == 200
        by_query = await api.post(GENERATE, HELLO, key=None, params={"key": "right"})
        assert by_query.status == 200


async def test_unknown_model_is_404_like_the_fixture(api: Api) -> None:
    result = await api.post("/v1beta/models/gemini-9.9-flash:generateContent", HELLO)
    assert result.status == 404 and result.body == fixture_bytes("error_404.json")
    prefixed = await api.post("/v1beta/models/models/gemini-3.5-flash:generateContent", HELLO)
    assert_envelope(prefixed, 404, "NOT_FOUND")
    tuned = await api.post("/v1beta/tunedModels/my-model:generateContent", HELLO)
    assert_envelope(tuned, 404, "NOT_FOUND")


async def test_unknown_generation_config_field_matches_fixture(api: Api) -> None:
    result = await api.post(GENERATE, {**HELLO, "generationConfig": {"temprature": 0.5}})
    assert result.status == 400 and result.body == fixture_bytes("error_400_bad_request.json")


async def test_unknown_top_level_and_thinking_fields(api: Api) -> None:
    error = assert_envelope(await api.post(GENERATE, {**HELLO, "contnets": []}), 400, "INVALID_ARGUMENT")
    assert error["message"] == 'Invalid JSON payload received. Unknown name "contnets": Cannot find field.'
    assert error["details"][0]["fieldViolations"] == [{"description": error["message"]}]  # type: ignore[index]
    body = {**HELLO, "generation_config": {"thinking_config": {"include_thought": True}}}
    error = assert_envelope(await api.post(GENERATE, body), 400, "INVALID_ARGUMENT")
    assert "at 'generation_config.thinking_config'" in str(error["message"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"contents": []}, "contents is not specified"),
        ({}, "contents is not specified"),
        ({"contents": [{"role": "user", "parts": []}]}, "parts must not be empty"),
        ({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}, "valid role"),
        ({**HELLO, "generationConfig": {"temperature": 3}}, "generation_config.temperature"),
        ({**HELLO, "generationConfig": {"candidateCount": 9}}, "candidate_count"),
        ({**HELLO, "generationConfig": {"responseMimeType": "text/csv"}}, "allowed mimetypes"),
        (
            {**HELLO, "generationConfig": {"thinkingConfig": {"thinkingBudget": 10, "thinkingLevel": "LOW"}}},
            "only one of thinking budget and thinking level",
        ),
        ({**HELLO, "generationConfig": {"thinkingConfig": {"thinkingLevel": "SUPER"}}}, "thinking_level"),
        ({**HELLO, "generationConfig": {"responseSchema": {"type": "STRING"}}}, "response_mime_type"),
        ({"contents": ["Hello"]}, "Invalid value at 'contents[0]'"),
        ({"contents": [{"parts": ["Hello"]}]}, "Invalid value at 'contents[0].parts[0]'"),
        ({**HELLO, "systemInstruction": "Be brief"}, "Invalid value at 'system_instruction'"),
        ({**HELLO, "generationConfig": []}, "Invalid value at 'generation_config'"),
    ],
)
async def test_invalid_values_are_400(api: Api, body: dict[str, object], fragment: str) -> None:
    error = assert_envelope(await api.post(GENERATE, body), 400, "INVALID_ARGUMENT")
    assert fragment in str(error["message"])


async def test_malformed_json_is_400(api: Api) -> None:
    result = await api.request("POST", GENERATE, data=b'{"contents": [', headers={"content-type": "application/json"})
    error = assert_envelope(result, 400, "INVALID_ARGUMENT")
    assert str(error["message"]).startswith("Invalid JSON payload received.")


async def test_thinking_on_a_model_without_thinking(api: Api) -> None:
    body = {**HELLO, "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    error = assert_envelope(
        await api.post("/v1beta/models/gemini-2.0-flash:generateContent", body), 400, "INVALID_ARGUMENT"
    )
    assert "Thinking" in str(error["message"])


async def test_embedding_model_rejects_generate(api: Api) -> None:
    result = await api.post("/v1beta/models/gemini-embedding-001:generateContent", HELLO)
    assert_envelope(result, 400, "INVALID_ARGUMENT")


async def test_both_spellings_are_accepted(api: Api) -> None:
    camel = {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "safetySettings": [],
        "toolConfig": {},
        "generationConfig": {"maxOutputTokens": 50, "stopSequences": ["x"], "responseMimeType": "text/plain"},
    }
    snake = {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "safety_settings": [],
        "tool_config": {},
        "generation_config": {"max_output_tokens": 50, "stop_sequences": ["x"], "response_mime_type": "text/plain"},
    }
    assert (await api.post(GENERATE, camel)).status == 200
    assert (await api.post(GENERATE, snake)).status == 200


async def test_request_fixture_is_accepted_apart_from_the_unknown_file(api: Api) -> None:
    import json

    body = json.loads(fixture_bytes("generate_request_full.json"))
    result = await api.post(GENERATE, body)
    error = assert_envelope(result, 403, "PERMISSION_DENIED")
    assert "8k2mfq0xr1ab" in str(error["message"])
    body["contents"][0]["parts"].pop()  # drop the fileData part
    assert (await api.post(GENERATE, body)).status == 200


@pytest.mark.parametrize("code", [500, 503, 504])
async def test_scripted_server_errors_match_fixtures(api: Api, emu: Emulator, code: int) -> None:
    emu.queue_error(code)
    result = await api.post(GENERATE, HELLO)
    assert result.status == code and result.body == fixture_bytes(f"error_{code}.json")


async def test_scripted_429_carries_retry_info(api: Api, emu: Emulator) -> None:
    emu.queue_error(429, retry_delay=37, endpoint="generateContent")
    error = assert_envelope(await api.post(GENERATE, HELLO), 429, "RESOURCE_EXHAUSTED")
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]
    assert "Please retry in 37s." in str(error["message"])
    assert (await api.post(GENERATE, HELLO)).status == 200


async def test_scripted_error_with_custom_fields_and_headers(api: Api, emu: Emulator) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]
    emu.queue_error(403, message="nope", status_name="PERMISSION_DENIED", details=details, headers={"Retry-After": "3"})
    result = await api.post(GENERATE, HELLO)
    error = assert_envelope(result, 403, "PERMISSION_DENIED")
    assert error["message"] == "nope" and error["details"] == details
    assert result.headers["Retry-After"] == "3"


async def test_scripted_raw_html_error(api: Api, emu: Emulator) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.queue_error(502, body=page)
    result = await api.post(GENERATE, HELLO)
    assert result.status == 502 and result.body == page.encode()
    assert result.headers["content-type"] == "text/html; charset=UTF-8"


async def test_script_is_fifo_filtered_and_counted(api: Api, emu: Emulator) -> None:
    emu.queue_error(503, endpoint="streamGenerateContent", times=2)
    emu.queue_error(500)
    assert (await api.post(GENERATE, HELLO)).status == 500  # the stream-only entry is skipped
    assert (await api.stream(HELLO)).status == 503
    assert (await api.stream(HELLO)).status == 503
    assert (await api.stream(HELLO)).status == 200
    with pytest.raises(ValueError, match="unknown endpoint"):
        emu.queue_error(500, endpoint="generate")


async def test_stream_errors_before_the_stream_are_plain_json(api: Api, emu: Emulator) -> None:
    emu.queue_error(503)
    result = await api.stream(HELLO)
    assert result.headers["content-type"] == "application/json; charset=UTF-8"
    assert result.body == fixture_bytes("error_503.json")


async def test_queued_exact_responses(api: Api, emu: Emulator) -> None:
    unary = {"candidates": [{"content": {"parts": [{"text": "scripted"}], "role": "model"}, "finishReason": "STOP"}]}
    emu.queue_response(unary, endpoint="generateContent")
    assert await api.generate(HELLO) == unary
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "a"}], "role": "model"}}]},
        {"candidates": [{"content": {"parts": [{"text": "b"}], "role": "model"}, "finishReason": "STOP"}]},
    ]
    emu.queue_response(chunks, endpoint="streamGenerateContent")
    assert sse_events((await api.stream(HELLO)).body) == chunks
    emu.queue_response(b"data: raw\r\n\r\n", endpoint="streamGenerateContent")
    assert (await api.stream(HELLO)).body == b"data: raw\r\n\r\n"


async def test_unknown_paths_and_methods(api: Api) -> None:
    assert_envelope(await api.get("/v1beta/nothing-here"), 404, "NOT_FOUND")
    assert_envelope(await api.post(f"/v1beta/models/{MODEL}:fooBar", {}), 404, "NOT_FOUND")  # as the service: not 501


WEIRD_BODIES = [
    [],
    "text",
    42,
    None,
    {"contents": {}},
    {"contents": [{}]},
    {"requests": [1]},
    {"content": "x"},
    {"generateContentRequest": "x"},
    {"requests": "x"},
    {"model": 5, "contents": "x"},
    {"ttl": 5},
]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", GENERATE),
        ("POST", STREAM),
        ("POST", f"/v1beta/models/{MODEL}:countTokens"),
        ("POST", "/v1beta/models/gemini-embedding-001:embedContent"),
        ("POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents"),
        ("POST", "/v1beta/cachedContents"),
    ],
)
async def test_odd_shapes_get_a_4xx_never_a_500(api: Api, method: str, path: str) -> None:
    for body in WEIRD_BODIES:
        result = await api.request(method, path, json_body=body)
        assert 400 <= result.status < 500, (body, result.body)
