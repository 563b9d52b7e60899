"""cachedContents CRUD and generateContent with a cache."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from .emulator_helpers import MODEL, Api, answer_text, fixture_bytes, user

CACHE_BODY = {
    "model": f"models/{MODEL}",
    "displayName": "contract-bundle",
    "contents": [user("The contract says the rent is 1200 euros per month. " * 100)],  # over the 1,024-token minimum
    "systemInstruction": {"parts": [{"text": "You are a cat. Your name is Neko."}]},
    "ttl": "300s",
}


def parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


async def create(api: Api, body: dict[str, Any] = CACHE_BODY) -> dict[str, Any]:
    result = await api.post("/v1beta/cachedContents", body)
    assert result.status == 200, result.body
    return result.json()  # type: ignore[no-any-return]


async def test_create_get_patch_delete(api: Api) -> None:
    cache = await create(api)
    assert list(cache) == list(json.loads(fixture_bytes("cached_content.json")))
    assert cache["name"].startswith("cachedContents/") and cache["model"] == f"models/{MODEL}"
    assert "contents" not in cache and cache["usageMetadata"]["totalTokenCount"] > 50
    lifetime = parse(cache["expireTime"]) - parse(cache["createTime"])
    assert abs(lifetime.total_seconds() - 300) < 1
    assert (await api.get(f"/v1beta/{cache['name']}")).json() == cache
    patched = await api.request("PATCH", f"/v1beta/{cache['name']}", json_body={"ttl": "600s"})
    assert patched.status == 200
    assert parse(patched.json()["expireTime"]) > parse(cache["expireTime"])
    expire = "2030-01-01T00:00:00Z"
    by_time = await api.request("PATCH", f"/v1beta/{cache['name']}", json_body={"expire_time": expire})
    assert parse(by_time.json()["expireTime"]) == parse(expire)
    refused = await api.request("PATCH", f"/v1beta/{cache['name']}", json_body={"displayName": "x"})
    assert refused.status == 400
    deleted = await api.request("DELETE", f"/v1beta/{cache['name']}")
    assert deleted.status == 200 and deleted.body == b"{}\n"
    assert (await api.get(f"/v1beta/{cache['name']}")).status == 403


async def test_list_is_paginated(api: Api) -> None:
    assert (await api.get("/v1beta/cachedContents")).json() == {}
    names = [(await create(api))["name"] for _ in range(3)]
    first = (await api.get("/v1beta/cachedContents", params={"pageSize": "2"})).json()
    rest = (
        await api.get("/v1beta/cachedContents", params={"pageSize": "2", "pageToken": first["nextPageToken"]})
    ).json()
    assert [c["name"] for c in first["cachedContents"] + rest["cachedContents"]] == names
    assert "nextPageToken" not in rest


async def test_generate_with_cache(api: Api) -> None:
    cache = await create(api)
    cached_tokens = cache["usageMetadata"]["totalTokenCount"]
    body = {"contents": [user("How much is the rent?")], "cachedContent": cache["name"]}
    response = await api.generate(body)
    usage = response["usageMetadata"]
    own = (await api.count({"contents": body["contents"]}))["totalTokens"]
    assert usage["cachedContentTokenCount"] == cached_tokens
    assert usage["promptTokenCount"] == cached_tokens + own
    assert usage["cacheTokensDetails"] == [{"modality": "TEXT", "tokenCount": cached_tokens}]
    assert answer_text(response).startswith("Meow! I'm Neko")  # the cached system instruction applies
    counted = await api.count({"generateContentRequest": {**body, "model": f"models/{MODEL}"}})
    assert counted["totalTokens"] == usage["promptTokenCount"]
    assert counted["cachedContentTokenCount"] == cached_tokens


async def test_cache_conflicts_and_expiry(api: Api) -> None:
    cache = await create(api, {**CACHE_BODY, "ttl": "0.3s"})
    path = f"/v1beta/models/{MODEL}:generateContent"
    clash = {"contents": [user("Hi")], "cachedContent": cache["name"], "systemInstruction": {"parts": [{"text": "x"}]}}
    assert (await api.post(path, clash)).status == 400
    other_model = await api.post(
        "/v1beta/models/gemini-2.5-flash:generateContent", {"contents": [user("Hi")], "cachedContent": cache["name"]}
    )
    assert other_model.status == 400
    await asyncio.sleep(0.35)
    assert (await api.get(f"/v1beta/{cache['name']}")).status == 403
    assert (await api.post(path, {"contents": [user("Hi")], "cachedContent": cache["name"]})).status == 403
    assert (await api.post("/v1beta/cachedContents", {"contents": [user("x")]})).status == 400
    assert (await api.post("/v1beta/cachedContents", {"model": "models/nope", "contents": [user("x")]})).status == 404
