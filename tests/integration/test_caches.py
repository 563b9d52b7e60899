"""client.caches over a real socket: create/get/list/update/delete on the wire (docs §10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"
CACHE = "cachedContents/q8r2v5w1k7zt"
TEN = "2026-08-21T10:00:00Z"


def check_cache(c: types.CachedContent) -> None:
    assert isinstance(c, types.CachedContent)
    assert (c.name, c.model, c.display_name) == (CACHE, "models/gemini-3.5-flash", "contract-bundle")
    assert (c.create_time, c.update_time) == ("2026-08-21T09:20:11.734562Z", "2026-08-21T09:20:11.734562Z")
    assert c.expire_time == "2026-08-21T09:25:10.982113Z"
    assert c.usage_metadata is not None and c.usage_metadata.total_token_count == 48213


# ----------------------------------------------------------------------------------------- create


async def test_create_sends_documented_body(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    cache = await client.caches.create(
        model=MODEL,
        config=types.CreateCachedContentConfig(
            display_name="contract-bundle",
            contents=["Clause 1: ...", "Clause 2: ..."],
            system_instruction="You are a contracts lawyer.",
            tools=[types.Tool(function_declarations=[types.FunctionDeclaration(name="lookup")])],
            tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="AUTO")),
            ttl="300s",
        ),
    )
    check_cache(cache)
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"]) == ("POST", "/v1beta/cachedContents", {})
    assert req["json"] == {
        "model": "models/gemini-3.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "Clause 1: ..."}, {"text": "Clause 2: ..."}]}],
        "systemInstruction": {"parts": [{"text": "You are a contracts lawyer."}]},
        "tools": [{"functionDeclarations": [{"name": "lookup"}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "displayName": "contract-bundle",
        "ttl": "300s",
    }


@pytest.mark.parametrize(
    ("ttl", "wire"),
    [
        ("300s", "300s"),
        ("45.837906927s", "45.837906927s"),
        (300, "300s"),
        (300.0, "300s"),
        (1.5, "1.5s"),
        (dt.timedelta(minutes=5), "300s"),
        (dt.timedelta(days=1, seconds=1, microseconds=500_000), "86401.5s"),
    ],
)
async def test_create_ttl_forms(server: Scripted, client: genai_async.Client, ttl: Any, wire: str) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    await client.caches.create(model=f"models/{MODEL}", config={"contents": "x", "ttl": ttl})
    body = server.requests[0]["json"]
    assert body["ttl"] == wire and "expireTime" not in body
    assert body["model"] == "models/gemini-3.5-flash"


async def test_create_struct_config_with_timedelta(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    fields: dict[str, Any] = {"contents": "x", "ttl": dt.timedelta(hours=1), "display_name": "d"}
    config = types.CreateCachedContentConfig(**fields)
    await client.caches.create(model=MODEL, config=config)
    assert server.requests[0]["json"]["ttl"] == "3600s"
    assert config.ttl == dt.timedelta(hours=1)  # the caller's object is left alone


@pytest.mark.parametrize(
    ("expire", "wire"),
    [
        ("2026-08-21T09:25:10.982113Z", "2026-08-21T09:25:10.982113Z"),
        ("2026-08-21T11:25:10+02:00", "2026-08-21T11:25:10+02:00"),
        (dt.datetime(2026, 8, 21, 9, 25, 10, tzinfo=dt.timezone.utc), "2026-08-21T09:25:10Z"),
        (
            dt.datetime(2026, 8, 21, 11, 25, 10, 982113, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-08-21T09:25:10.982113Z",
        ),
    ],
)
async def test_create_expire_time_forms(server: Scripted, client: genai_async.Client, expire: Any, wire: str) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    await client.caches.create(model=MODEL, config={"contents": "x", "expireTime": expire})
    body = server.requests[0]["json"]
    assert body["expireTime"] == wire and "ttl" not in body


async def test_create_without_expiry_lets_the_service_choose(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    turn = types.Content(role="user", parts=[types.Part(text="x")])
    await client.caches.create(model=MODEL, config={"contents": [turn]})
    assert set(server.requests[0]["json"]) == {"model", "contents"}


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"contents": "x", "ttl": "300s", "expire_time": "2026-08-21T09:25:10Z"}, "not both"),
        ({"contents": "x", "ttl": 60, "expireTime": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}, "not both"),
        ({"contents": "x", "ttl": "5 minutes"}, "positive duration"),
        ({"contents": "x", "ttl": "300"}, "positive duration"),
        ({"contents": "x", "ttl": 0}, "positive duration"),
        ({"contents": "x", "ttl": -5.0}, "positive duration"),
        ({"contents": "x", "ttl": True}, "positive duration"),
        ({"contents": "x", "ttl": float("inf")}, "positive duration"),
        ({"contents": "x", "ttl": dt.timedelta(0)}, "positive duration"),
        ({"contents": "x", "expire_time": dt.datetime(2026, 8, 21, 9, 0)}, "time zone"),
        ({"contents": "x", "expire_time": "tomorrow"}, "not a timestamp"),
        ({"contents": "x", "expire_time": 1787303110}, "not a timestamp"),
        ({"contents": "x", "time_to_live": "300s"}, "unknown key"),
        ({"contents": object()}, "cannot be sent"),
        ("300s", "CreateCachedContentConfig or a dict"),
    ],
)
async def test_create_bad_config_sends_nothing(
    server: Scripted, client: genai_async.Client, config: Any, match: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        await client.caches.create(model=MODEL, config=config)
    assert server.requests == []


async def test_create_bad_model_sends_nothing(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError):
        await client.caches.create(model="no such/model", config={"contents": "x"})
    assert server.requests == []


async def test_create_400_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_400_bad_request.json", 400)
    with pytest.raises(errors.ClientError) as info:
        await client.caches.create(model=MODEL, config={"contents": "x", "ttl": 60})
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")


# ------------------------------------------------------------------------------- get / list / delete


@pytest.mark.parametrize("name", [CACHE, "q8r2v5w1k7zt", " cachedContents/q8r2v5w1k7zt "])
async def test_get_accepts_full_name_or_id(server: Scripted, client: genai_async.Client, name: str) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    check_cache(await client.aio.caches.get(name=name))
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"], req["body"]) == (
        "GET",
        "/v1beta/cachedContents/q8r2v5w1k7zt",
        {},
        b"",
    )


@pytest.mark.parametrize(
    "name", ["", "cachedContents/", "files/abc", "a/b", "../abc", "abc?x=1", "ab c", "cachedContents/a/b", None]
)
async def test_bad_names_send_nothing(server: Scripted, client: genai_async.Client, name: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="not a cache name"):
        await client.caches.get(name=name)
    with pytest.raises(errors.ConfigurationError, match="not a cache name"):
        await client.caches.update(name=name, config={"ttl": 60})
    with pytest.raises(errors.ConfigurationError, match="not a cache name"):
        await client.caches.delete(name=name)
    assert server.requests == []


async def test_get_unknown_is_404_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_404.json", 404)
    with pytest.raises(errors.ClientError) as info:
        await client.caches.get(name="gone")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")


def reply_cache_pages(server: Scripted, pages: int) -> list[str]:
    """``pages`` pages of two caches each, chained by tokens t1, t2...; returns every cache name."""
    base = fixture_json("cached_content.json")
    names = [f"cachedContents/c{i}" for i in range(pages * 2)]

    async def handler(request: web.Request) -> web.StreamResponse:
        index = int(request.query.get("pageToken", "t0")[1:])
        body: dict[str, Any] = {"cachedContents": [{**base, "name": n} for n in names[index * 2 : index * 2 + 2]]}
        if index + 1 < pages:
            body["nextPageToken"] = f"t{index + 1}"
        elif index % 2:
            body["nextPageToken"] = ""  # an empty token also means the end
        return web.json_response(body)

    server.handler = handler
    return names


async def test_list_walks_three_pages(server: Scripted, client: genai_async.Client) -> None:
    names = reply_cache_pages(server, 3)
    caches = [c async for c in client.caches.list(config={"page_size": 2})]
    assert [c.name for c in caches] == names
    assert all(c.usage_metadata and c.usage_metadata.total_token_count == 48213 for c in caches)
    assert [(r["method"], r["path"]) for r in server.requests] == [("GET", "/v1beta/cachedContents")] * 3
    assert [r["query"] for r in server.requests] == [
        {"pageSize": "2"},
        {"pageSize": "2", "pageToken": "t1"},
        {"pageSize": "2", "pageToken": "t2"},
    ]


async def test_list_await_gives_first_page_and_empty_token_ends(server: Scripted, client: genai_async.Client) -> None:
    names = reply_cache_pages(server, 2)
    pager = await client.caches.list(config=types.ListCachedContentsConfig(page_size=2))
    assert [c.name for c in pager.page] == names[:2]
    assert [c.name async for c in pager] == names
    assert len(server.requests) == 2 and not pager.has_next_page


async def test_list_empty(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json({})
    assert [c async for c in client.caches.list()] == []
    assert server.requests[0]["query"] == {}


async def test_list_bad_config_sends_nothing(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError):
        client.caches.list(config={"page_size": 0})
    assert server.requests == []


async def test_delete(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("empty_delete.json"))
    await client.caches.delete(name="q8r2v5w1k7zt")  # returns None, like {} on the wire
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"], req["body"]) == (
        "DELETE",
        "/v1beta/cachedContents/q8r2v5w1k7zt",
        {},
        b"",
    )


# ----------------------------------------------------------------------------------------- update


@pytest.mark.parametrize(
    ("config", "wire"),
    [
        ({"ttl": "600s"}, {"ttl": "600s"}),
        (types.UpdateCachedContentConfig(ttl="600s"), {"ttl": "600s"}),
        ({"ttl": dt.timedelta(minutes=10)}, {"ttl": "600s"}),
        ({"ttl": 600}, {"ttl": "600s"}),
        ({"expire_time": dt.datetime(2026, 8, 21, 10, 0, tzinfo=dt.timezone.utc)}, {"expireTime": TEN}),
        (types.UpdateCachedContentConfig(expire_time=TEN), {"expireTime": TEN}),
    ],
)
async def test_update_sends_only_the_expiry(
    server: Scripted, client: genai_async.Client, config: Any, wire: dict[str, str]
) -> None:
    server.reply_json(fixture_json("cached_content.json"))
    check_cache(await client.caches.update(name=CACHE, config=config))
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"]) == ("PATCH", "/v1beta/cachedContents/q8r2v5w1k7zt", {})
    assert req["json"] == wire


@pytest.mark.parametrize(
    ("config", "match"),
    [
        (None, "set config.ttl"),
        ({}, "set config.ttl"),
        ({"http_options": {"timeout": 5000}}, "set config.ttl"),
        ({"ttl": "60s", "expire_time": "2026-08-21T10:00:00Z"}, "not both"),
        ({"ttl": -1}, "positive duration"),
        ({"display_name": "renamed"}, "unknown key"),
    ],
)
async def test_update_bad_config_sends_nothing(
    server: Scripted, client: genai_async.Client, config: Any, match: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        await client.caches.update(name=CACHE, config=config)
    assert server.requests == []


async def test_update_404_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_404.json", 404)
    with pytest.raises(errors.ClientError) as info:
        await client.caches.update(name=CACHE, config={"ttl": 60})
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.caches.create(model=MODEL, config={"contents": "x"}),
        lambda c: c.caches.get(name=CACHE),
        lambda c: c.caches.list(),
        lambda c: c.caches.update(name=CACHE, config={"ttl": 60}),
        lambda c: c.caches.delete(name=CACHE),
    ],
    ids=["create", "get", "list", "update", "delete"],
)
async def test_every_endpoint_raises_client_error_on_envelope(
    server: Scripted, client: genai_async.Client, call: Any
) -> None:
    server.reply_fixture("error_403.json", 403)
    with pytest.raises(errors.ClientError) as info:
        await call(client)
    assert (info.value.code, info.value.status) == (403, "PERMISSION_DENIED")
    assert len(server.requests) == 1


# ------------------------------------------------------------------------------------------ use


async def test_generate_content_sends_cached_content_at_top_level(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    await client.models.generate_content(model=MODEL, contents="Summarise clause 2", config={"cached_content": CACHE})
    body = server.requests[0]["json"]
    assert body["cachedContent"] == CACHE
    assert "generationConfig" not in body and "systemInstruction" not in body
