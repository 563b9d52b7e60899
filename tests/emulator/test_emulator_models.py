"""GET models (pagination with opaque tokens) and GET models/{m}."""

from __future__ import annotations

import base64
import json

from .emulator_helpers import Api, fixture_bytes


async def test_first_page_of_three_matches_fixture(api: Api) -> None:
    result = await api.get("/v1beta/models", params={"pageSize": "3"})
    assert result.status == 200
    expected = json.loads(fixture_bytes("models_list_page1.json"))
    page = result.json()
    assert page["models"] == expected["models"]
    assert base64.b64decode(page["nextPageToken"]).endswith(b"models/gemini-3.5-flash")
    # the recorded token (opaque, with a different length byte) is accepted too
    second = (await api.get("/v1beta/models", params={"pageSize": "3", "pageToken": expected["nextPageToken"]})).json()
    assert second["models"][0] == json.loads(fixture_bytes("models_list_page2.json"))["models"][0]


async def test_paging_walks_the_whole_catalogue(api: Api) -> None:
    everything = (await api.get("/v1beta/models")).json()
    assert "nextPageToken" not in everything
    names, token, pages = [], None, 0
    while True:
        params = {"pageSize": "4", **({"pageToken": token} if token else {})}
        page = (await api.get("/v1beta/models", params=params)).json()
        names += [m["name"] for m in page["models"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    assert names == [m["name"] for m in everything["models"]]
    assert pages == -(-len(names) // 4)
    for model in (
        "models/gemini-3.5-flash",
        "models/gemini-flash-latest",
        "models/gemini-2.0-flash",
        "models/gemini-embedding-001",
        "models/text-embedding-004",
    ):
        assert model in names


async def test_get_model_matches_fixture(api: Api) -> None:
    result = await api.get("/v1beta/models/gemini-3.5-flash")
    assert result.body == fixture_bytes("model_get.json")
    assert (await api.get("/v1/models/gemini-3.5-flash")).body == result.body


async def test_unknown_model_and_bad_token(api: Api) -> None:
    assert (await api.get("/v1beta/models/gemini-9.9-flash")).status == 404
    bad = await api.get("/v1beta/models", params={"pageToken": "not-a-token"})
    assert bad.status == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
