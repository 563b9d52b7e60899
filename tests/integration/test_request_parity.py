"""Requests the official SDK accepts and sends correctly: the exact body we send for each case."""

from __future__ import annotations

import datetime
import re
from typing import Any

import msgspec
import pytest

import genai_async
from genai_async import errors, types
from tests.conftest import Scripted
from tests.integration.test_chats import answer

MODEL = "gemini-3.5-flash"

try:
    import pydantic

    class Recipe(pydantic.BaseModel):
        name: str
        minutes: int
except ImportError:  # pragma: no cover - pydantic comes with the dev extra
    pydantic = None  # type: ignore[assignment]


async def sent(server: Scripted, client: genai_async.Client, contents: Any = "Hi", **config: Any) -> dict[str, Any]:
    server.reply_json(answer("ok"))
    await client.models.generate_content(model=MODEL, contents=contents, config=config or None)
    body: dict[str, Any] = server.requests[-1]["json"]
    return body


async def test_list_of_lists_is_one_user_turn_each(server: Scripted, client: genai_async.Client) -> None:
    body = await sent(server, client, [["a", "b"], ["c"]])
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "user", "parts": [{"text": "c"}]},
    ]


async def test_call_and_response_parts_become_model_and_user_turns(
    server: Scripted, client: genai_async.Client
) -> None:
    call = types.Part.from_function_call(name="get_weather", args={"city": "Oslo"})
    result = types.Part.from_function_response(name="get_weather", response={"result": "cold"})
    body = await sent(server, client, ["Weather in Oslo?", call, result])
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Oslo?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "cold"}}}]},
    ]


def test_grouping_matches_the_official_sdk() -> None:
    t = pytest.importorskip("google.genai._transformers")
    gtypes = pytest.importorskip("google.genai.types")
    from genai_async._contents import to_contents

    call = {"function_call": {"name": "f", "args": {}}}
    result = {"function_response": {"name": "f", "response": {"result": 1}}}
    for contents in (["q", call, result], [call, call, result, "q"], [["a", "b"], "c"]):
        official = [
            c.model_dump(mode="json", exclude_none=True)
            for c in t.t_contents([gtypes.Part.model_validate(x) if isinstance(x, dict) else x for x in contents])
        ]
        ours = msgspec.json.decode(msgspec.json.encode(to_contents(contents)))
        assert ours == [
            {"role": c["role"], "parts": [{_camel(k): _camelize(v) for k, v in p.items()} for p in c["parts"]]}
            for c in official
        ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _camelize(value: Any) -> Any:
    return {_camel(k): v for k, v in value.items()} if isinstance(value, dict) else value


async def test_aware_datetime_is_sent_as_rfc3339(server: Scripted, client: genai_async.Client) -> None:
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    body = await sent(
        server, client, tools=[{"google_search": {"time_range_filter": {"start_time": start, "end_time": end}}}]
    )
    assert body["tools"] == [
        {
            "googleSearch": {
                "timeRangeFilter": {"startTime": "2026-01-02T03:04:05Z", "endTime": "2026-02-01T00:00:00+02:00"}
            }
        }
    ]


async def test_naive_datetime_is_refused(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"start_time is a naive datetime"):
        await sent(
            server,
            client,
            tools=[
                types.Tool(
                    google_search=types.GoogleSearch(
                        time_range_filter=types.Interval(start_time=datetime.datetime(2026, 1, 2))  # type: ignore[arg-type]
                    )
                )
            ],
        )
    assert server.requests == []


async def test_lower_case_enums_are_sent_upper_case(server: Scripted, client: genai_async.Client) -> None:
    body = await sent(
        server,
        client,
        tool_config={"function_calling_config": {"mode": "any", "allowed_function_names": ["f"]}},
        safety_settings=[{"category": "harm_category_hate_speech", "threshold": "block_only_high"}],
        response_modalities=["text"],
        media_resolution="media_resolution_low",
        tools=[
            {
                "function_declarations": [
                    {
                        "name": "f",
                        "behavior": "blocking",
                        "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
                    }
                ]
            }
        ],
    )
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}}
    assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}]
    assert body["generationConfig"] == {"responseModalities": ["TEXT"], "mediaResolution": "MEDIA_RESOLUTION_LOW"}
    declaration = body["tools"][0]["functionDeclarations"][0]
    assert declaration["behavior"] == "BLOCKING"
    assert declaration["parameters"] == {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}


async def test_service_tier_stays_lower_case(server: Scripted, client: genai_async.Client) -> None:
    body = await sent(server, client, service_tier="flex")
    assert body["serviceTier"] == "flex"


@pytest.mark.parametrize(
    ("given", "wire"), [("abc123", "cachedContents/abc123"), ("cachedContents/x9", "cachedContents/x9")]
)
async def test_cached_content_gets_its_resource_name(
    server: Scripted, client: genai_async.Client, given: str, wire: str
) -> None:
    assert (await sent(server, client, cached_content=given))["cachedContent"] == wire


async def test_speech_config_string_is_a_prebuilt_voice(server: Scripted, client: genai_async.Client) -> None:
    body = await sent(server, client, speech_config="Puck", response_modalities=["AUDIO"])
    assert body["generationConfig"]["speechConfig"] == {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}


async def test_vertex_only_safety_method_is_refused(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"safety_settings\[0\]\.method is only supported by Vertex AI"):
        await sent(
            server,
            client,
            safety_settings=[
                {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE", "method": "SEVERITY"}
            ],
        )
    assert server.requests == []


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"routing_config": {}}, "config.routing_config"),
        ({"tools": [{"retrieval": {}}]}, "config.tools[0].retrieval"),
        (
            {"tool_config": {"functionCallingConfig": {"streamFunctionCallArguments": True}}},
            "config.tool_config.function_calling_config.stream_function_call_arguments",
        ),
    ],
)
async def test_other_vertex_only_fields_are_named_as_such(
    server: Scripted, client: genai_async.Client, config: dict[str, Any], where: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=re.escape(f"{where} is only supported by Vertex AI")):
        await sent(server, client, **config)
    assert server.requests == []


@pytest.mark.skipif(pydantic is None, reason="needs pydantic")
async def test_list_of_pydantic_models_as_response_schema(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(answer('[{"name": "soup", "minutes": 20}, {"name": "tea", "minutes": 3}]'))
    r = await client.models.generate_content(
        model=MODEL,
        contents="Two recipes",
        config={"response_mime_type": "application/json", "response_schema": list[Recipe]},
    )
    assert r.parsed == [Recipe(name="soup", minutes=20), Recipe(name="tea", minutes=3)]
    schema = server.requests[0]["json"]["generationConfig"]["responseJsonSchema"]
    assert schema == pydantic.TypeAdapter(list[Recipe]).json_schema()
    assert schema["type"] == "array" and schema["items"] == {"$ref": "#/$defs/Recipe"}


async def test_automatic_continuation_false_opts_out(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": "part"}]},
                    "finishReason": "CONTINUATION",
                    "continuationToken": "AAE=",
                    "index": 0,
                }
            ]
        }
    )
    r = await client.models.generate_content(model=MODEL, contents="x", config={"automatic_continuation": False})
    assert r.candidates is not None and r.candidates[0].finish_reason == "CONTINUATION"
    assert len(server.requests) == 1
