"""generateContent: determinism and every honoured request field, checked over a real socket."""

from __future__ import annotations

import base64
import json
from typing import Any

from genai_async.emulator import running
from genai_async.emulator._schema import check

from .emulator_helpers import MODEL, Api, answer_text, model_turn, user

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEUVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
WEATHER_TOOL: dict[str, Any] = {
    "functionDeclarations": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            },
        }
    ]
}
NO_THINKING = {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}


def body(text: str, **extra: object) -> dict[str, object]:
    return {"contents": [user(text)], **extra}


async def test_same_request_gives_same_bytes(api: Api) -> None:
    path = f"/v1beta/models/{MODEL}:generateContent"
    first = await api.post(path, body("How does AI work?"))
    second = await api.post(path, body("How does AI work?"))
    assert first.status == 200
    assert first.body == second.body
    assert first.body.endswith(b"}\n") and first.body.startswith(b'{\n  "candidates": [')
    assert first.headers["content-type"] == "application/json; charset=UTF-8"
    assert first.headers["x-gemini-service-tier"] == "standard"


async def test_different_requests_and_seeds_give_different_answers(api: Api) -> None:
    one = await api.generate(body("How does AI work?"))
    other = await api.generate(body("Why is the sky blue?"))
    assert answer_text(one) != answer_text(other)
    assert one["responseId"] != other["responseId"]
    async with running(seed=7) as seeded:
        reseeded = await Api(api.session, seeded).generate(body("How does AI work?"))
    assert answer_text(reseeded) != answer_text(one)


async def test_response_shape_and_keyword(api: Api) -> None:
    response = await api.generate(body("How does AI work?"))
    assert list(response) == ["candidates", "usageMetadata", "modelVersion", "responseId"]
    assert response["modelVersion"] == MODEL
    assert len(response["responseId"]) == 23
    candidate = response["candidates"][0]
    assert candidate["finishReason"] == "STOP" and candidate["index"] == 0
    assert candidate["content"]["role"] == "model"
    assert "AI" in answer_text(response)
    usage = response["usageMetadata"]
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
    )
    assert usage["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": usage["promptTokenCount"]}]


async def test_max_output_tokens_stops_exactly_at_the_limit(api: Api) -> None:
    response = await api.generate(
        body("Tell me a long story about lighthouses", generationConfig={"maxOutputTokens": 10, **NO_THINKING})
    )
    assert response["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert response["usageMetadata"]["candidatesTokenCount"] == 10
    counted = await api.count({"contents": [user(answer_text(response))]})
    assert counted["totalTokens"] == 10


async def test_thinking_consumes_max_output_tokens(api: Api) -> None:
    response = await api.generate(body("Explain quantum computing", generationConfig={"maxOutputTokens": 5}))
    candidate = response["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert "parts" not in candidate["content"]
    usage = response["usageMetadata"]
    assert usage["thoughtsTokenCount"] == 5
    assert "candidatesTokenCount" not in usage


async def test_stop_sequence_from_prompt_is_cut_before_it(api: Api) -> None:
    response = await api.generate(
        body("Describe rivers and finish with ###", generationConfig={"stopSequences": ["###"], **NO_THINKING})
    )
    text = answer_text(response)
    assert "#" not in text
    assert text.endswith(".") and text.count(". ") == 0  # cut right after the first sentence
    assert response["candidates"][0]["finishReason"] == "STOP"
    counted = await api.count({"contents": [user(text)]})
    assert response["usageMetadata"]["candidatesTokenCount"] == counted["totalTokens"]


async def test_stop_sequence_occurring_naturally(api: Api) -> None:
    response = await api.generate(body("How does AI work?", generationConfig={"stopSequences": ["."]}))
    text = answer_text(response)
    assert text and "." not in text
    assert response["candidates"][0]["finishReason"] == "STOP"


async def test_candidate_count(api: Api) -> None:
    response = await api.generate(body("How does AI work?", generationConfig={"candidateCount": 3, **NO_THINKING}))
    candidates = response["candidates"]
    assert [c["index"] for c in candidates] == [0, 1, 2]
    texts = [answer_text(response, i) for i in range(3)]
    assert len(set(texts)) == 3
    counts = [(await api.count({"contents": [user(t)]}))["totalTokens"] for t in texts]
    assert response["usageMetadata"]["candidatesTokenCount"] == sum(counts)


async def test_system_instruction_persona(api: Api) -> None:
    response = await api.generate(
        {
            "systemInstruction": {"parts": [{"text": "You are a cat. Your name is Neko."}]},
            "contents": [user("Hello there")],
        }
    )
    assert answer_text(response).startswith("Meow! I'm Neko, your friendly cat.")


async def test_system_instruction_is_echoed_when_no_persona(api: Api) -> None:
    response = await api.generate(
        {"systemInstruction": {"parts": [{"text": "Answer in exactly three words."}]}, "contents": [user("Hi")]}
    )
    assert answer_text(response).startswith('Following your instructions ("Answer in exactly three words")')


async def test_include_thoughts(api: Api) -> None:
    response = await api.generate(
        body(
            "Why is the sky blue?",
            generationConfig={"thinkingConfig": {"includeThoughts": True, "thinkingLevel": "high"}},
        )
    )
    parts = response["candidates"][0]["content"]["parts"]
    thoughts = [p for p in parts if p.get("thought")]
    assert 1 <= len(thoughts) <= 2
    assert parts[: len(thoughts)] == thoughts
    assert all(t["text"].startswith("**") and "**\n\n" in t["text"] for t in thoughts)
    answer = parts[len(thoughts)]
    assert base64.b64decode(answer["thoughtSignature"], validate=True)
    assert "thoughtSignature" not in thoughts[0]
    usage = response["usageMetadata"]
    assert usage["thoughtsTokenCount"] >= sum(
        [(await api.count({"contents": [user(t["text"])]}))["totalTokens"] for t in thoughts]
    )


async def test_thinking_tokens_without_thought_parts(api: Api) -> None:
    default = await api.generate(body("Why is the sky blue?"))
    assert default["usageMetadata"]["thoughtsTokenCount"] > 0
    assert not any(p.get("thought") for p in default["candidates"][0]["content"]["parts"])
    assert "thoughtSignature" not in default["candidates"][0]["content"]["parts"][0]
    for config in ({"thinkingLevel": "minimal"}, {"thinkingBudget": 0}):
        off = await api.generate(body("Why is the sky blue?", generationConfig={"thinkingConfig": config}))
        assert "thoughtsTokenCount" not in off["usageMetadata"]


async def test_thinking_budget_caps_thought_tokens(api: Api) -> None:
    response = await api.generate(
        body("Why is the sky blue?", generationConfig={"thinkingConfig": {"thinkingBudget": 7}})
    )
    assert response["usageMetadata"]["thoughtsTokenCount"] == 7


JSON_SCHEMA = {
    "type": "object",
    "$defs": {
        "ingredient": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "grams": {"type": "integer", "minimum": 1, "maximum": 500}},
            "required": ["name", "grams"],
        }
    },
    "properties": {
        "title": {"type": "string"},
        "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
        "servings": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "ingredients": {"type": "array", "items": {"$ref": "#/$defs/ingredient"}, "minItems": 2, "maxItems": 4},
        "vegan": {"type": "boolean"},
        "rating": {"type": ["number", "null"], "minimum": 0, "maximum": 5},
    },
    "required": ["title", "difficulty", "ingredients"],
    "additionalProperties": False,
}


async def test_json_schema_output_validates(api: Api) -> None:
    response = await api.generate(
        body(
            "Give me a recipe for pancakes",
            generationConfig={"responseMimeType": "application/json", "responseJsonSchema": JSON_SCHEMA},
        )
    )
    value = json.loads(answer_text(response))
    assert check(value, JSON_SCHEMA) == []
    assert 2 <= len(value["ingredients"]) <= 4


async def test_openapi_schema_output_follows_property_ordering(api: Api) -> None:
    schema = {
        "type": "ARRAY",
        "items": {
            "type": "OBJECT",
            "properties": {
                "recipeName": {"type": "STRING"},
                "minutes": {"type": "INTEGER", "nullable": True},
                "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "maxItems": "2"},
            },
            "propertyOrdering": ["minutes", "recipeName", "tags"],
            "required": ["recipeName"],
        },
        "minItems": 1,
    }
    response = await api.generate(
        body("List cookie recipes", generationConfig={"responseMimeType": "application/json", "responseSchema": schema})
    )
    value = json.loads(answer_text(response))
    assert check(value, schema) == []
    assert all(list(item) == ["minutes", "recipeName", "tags"] for item in value)


async def test_json_without_schema_is_an_object(api: Api) -> None:
    response = await api.generate(body("Summarise AI", generationConfig={"responseMimeType": "application/json"}))
    assert isinstance(json.loads(answer_text(response)), dict)


async def test_enum_mime_type_returns_one_value(api: Api) -> None:
    schema = {"type": "STRING", "format": "enum", "enum": ["Percussion", "String", "Woodwind", "Brass", "Keyboard"]}
    config = {"responseMimeType": "text/x.enum", "responseSchema": schema}
    response = await api.generate(body("What kind of instrument is an organ?", generationConfig=config))
    assert answer_text(response) in schema["enum"]
    hinted = await api.generate(body("Is a trumpet brass or string?", generationConfig=config))
    assert answer_text(hinted) in ("Brass", "String")


async def test_function_call_from_description_words(api: Api) -> None:
    response = await api.generate(
        {"contents": [user("What's the weather in Zurich right now?")], "tools": [WEATHER_TOOL]}
    )
    candidate = response["candidates"][0]
    parts = candidate["content"]["parts"]
    call_part = parts[-1]
    assert call_part["functionCall"]["name"] == "get_weather"
    args = call_part["functionCall"]["args"]
    assert args["city"] == "Zurich"
    assert args.get("unit") in (None, "celsius", "fahrenheit")
    assert check(args, WEATHER_TOOL["functionDeclarations"][0]["parametersJsonSchema"]) == []
    assert base64.b64decode(call_part["thoughtSignature"])
    assert candidate["finishReason"] == "STOP"
    assert candidate["finishMessage"] == "Model generated function call(s)."


async def test_function_calling_modes(api: Api) -> None:
    any_mode = {"functionCallingConfig": {"mode": "ANY"}}
    forced = await api.generate({"contents": [user("Tell me a joke")], "tools": [WEATHER_TOOL], "toolConfig": any_mode})
    assert forced["candidates"][0]["content"]["parts"][-1]["functionCall"]["name"] == "get_weather"
    none_mode = {"functionCallingConfig": {"mode": "NONE"}}
    text = await api.generate(
        {"contents": [user("Weather in Paris?")], "tools": [WEATHER_TOOL], "toolConfig": none_mode}
    )
    assert "functionCall" not in json.dumps(text)
    unrelated = await api.generate({"contents": [user("Tell me a joke")], "tools": [WEATHER_TOOL]})
    assert "functionCall" not in json.dumps(unrelated)


async def test_function_call_with_openapi_parameters_and_named_function(api: Api) -> None:
    tool = {
        "functionDeclarations": [
            {
                "name": "book_table",
                "description": "Reserve a restaurant table.",
                "parameters": {
                    "type": "OBJECT",
                    "properties": {"restaurant_name": {"type": "STRING"}, "guests": {"type": "INTEGER"}},
                    "required": ["guests"],
                },
            }
        ]
    }
    response = await api.generate({"contents": [user("Please book_table at Luigi for 4 people")], "tools": [tool]})
    call = response["candidates"][0]["content"]["parts"][-1]["functionCall"]
    assert call == {"name": "book_table", "args": {"restaurant_name": "Luigi", "guests": 4}}


async def test_function_response_turn_is_answered_in_text(api: Api) -> None:
    contents = [
        user("What's the weather in Zurich?"),
        {
            "role": "model",
            # Gemini 3 models refuse a replayed call without the signature it came with.
            "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Zurich"}}, "thoughtSignature": "c2ln"}
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_weather",
                        "response": {"output": {"temperature_c": 21, "condition": "sunny"}},
                    }
                }
            ],
        },
    ]
    response = await api.generate({"contents": contents, "tools": [WEATHER_TOOL]})
    text = answer_text(response)
    assert "get_weather" in text and "21" in text and "sunny" in text
    assert "temperature_c" in text  # user-owned keys are not camelized


async def test_multi_turn_paws(api: Api) -> None:
    rest_example = [
        user("Hello"),
        model_turn("Great to meet you. What would you like to know?"),
        user("I have two dogs in my house. How many paws are in my house?"),
    ]
    assert "8 paws" in answer_text(await api.generate({"contents": rest_example}))
    chat = [user("I have 2 dogs in my house."), model_turn("Nice!"), user("How many paws are in my house?")]
    text = answer_text(await api.generate({"contents": chat}))
    assert "8 paws" in text and "3 messages" in text


async def test_inline_data_is_acknowledged_and_counted(api: Api) -> None:
    size = len(base64.b64decode(PNG))
    contents = [
        {
            "role": "user",
            "parts": [{"text": "What's in this picture?"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}],
        }
    ]
    response = await api.generate({"contents": contents})
    assert f"I received an image/png of {size} bytes." in answer_text(response)
    details = response["usageMetadata"]["promptTokensDetails"]
    assert {"modality": "IMAGE", "tokenCount": 258} in details


async def test_snake_case_request_equals_camel_case(api: Api) -> None:
    camel = {
        "systemInstruction": {"parts": [{"text": "You are a pirate."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]}
        ],
        "generationConfig": {
            "maxOutputTokens": 300,
            "thinkingConfig": {"thinkingLevel": "LOW", "includeThoughts": True},
        },
    }
    snake = {
        "system_instruction": {"parts": [{"text": "You are a pirate."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}, {"inline_data": {"mime_type": "image/png", "data": PNG}}]}
        ],
        "generation_config": {
            "max_output_tokens": 300,
            "thinking_config": {"thinking_level": "LOW", "include_thoughts": True},
        },
    }
    path = f"/v1beta/models/{MODEL}:generateContent"
    first, second = await api.post(path, camel), await api.post(path, snake)
    assert first.status == second.status == 200
    assert first.body == second.body
    assert answer_text(first.json()).startswith("Arr!")


async def test_model_name_aliases_and_versions(api: Api) -> None:
    for version, model in (
        ("v1", "gemini-flash-latest"),
        ("v1alpha", "gemini-2.0-flash"),
        ("v1beta", "gemini-2.5-pro"),
    ):
        result = await api.post(f"/{version}/models/{model}:generateContent", body("Hi"))
        assert result.status == 200, result.body
        assert result.json()["modelVersion"] == model
