"""countTokens agrees with generateContent's promptTokenCount, in both request forms."""

from __future__ import annotations

import json

from .emulator_helpers import MODEL, Api, fixture_bytes, model_turn, user

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEUVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
CONTENTS = [
    user("I have 2 dogs in my house."),
    model_turn("Nice!"),
    {
        "role": "user",
        "parts": [
            {"text": "How many paws are in this picture?"},
            {"inlineData": {"mimeType": "image/png", "data": PNG}},
        ],
    },
]


async def test_contents_form_equals_prompt_token_count(api: Api) -> None:
    counted = await api.count({"contents": CONTENTS})
    usage = (await api.generate({"contents": CONTENTS}))["usageMetadata"]
    assert counted["totalTokens"] == usage["promptTokenCount"]
    assert counted["promptTokensDetails"] == usage["promptTokensDetails"]
    assert {"modality": "IMAGE", "tokenCount": 258} in counted["promptTokensDetails"]


async def test_generate_content_request_form_counts_system_and_tools(api: Api) -> None:
    request = {
        "model": f"models/{MODEL}",
        "contents": CONTENTS,
        "systemInstruction": {"parts": [{"text": "You are a vet."}]},
        "tools": [{"functionDeclarations": [{"name": "count_paws", "description": "Count paws."}]}],
    }
    counted = await api.count({"generateContentRequest": request})
    plain = await api.count({"contents": CONTENTS})
    generated = await api.generate({k: v for k, v in request.items() if k != "model"})
    assert counted["totalTokens"] == generated["usageMetadata"]["promptTokenCount"]
    assert counted["totalTokens"] > plain["totalTokens"]
    snake = await api.count({"generate_content_request": {"contents": CONTENTS}})
    assert snake["totalTokens"] == plain["totalTokens"]


async def test_response_shape_matches_fixture(api: Api) -> None:
    counted = await api.count({"contents": [user("How does AI work?")]})
    assert list(counted) == list(json.loads(fixture_bytes("count_tokens.json")))


async def test_invalid_count_requests(api: Api) -> None:
    path = f"/v1beta/models/{MODEL}:countTokens"
    assert (await api.post(path, {})).status == 400
    both = {"contents": CONTENTS, "generateContentRequest": {"contents": CONTENTS}}
    assert (await api.post(path, both)).status == 400
    assert (await api.post("/v1beta/models/nope:countTokens", {"contents": CONTENTS})).status == 404
