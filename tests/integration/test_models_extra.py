"""count_tokens, embed_content, models.list and models.get over a real socket (docs §6-§8)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import genai_async
from genai_async import errors, types
from genai_async._pager import Pager
from tests.conftest import Scripted, fixture_bytes, fixture_json

MODEL = "gemini-3.5-flash"
EMBED = "gemini-embedding-001"


def reply_model_pages(server: Scripted) -> None:
    """Page 1 without a pageToken, page 2 for page 1's nextPageToken, 400 for anything else."""
    page1, page2 = fixture_json("models_list_page1.json"), fixture_json("models_list_page2.json")

    async def handler(request: web.Request) -> web.StreamResponse:
        token = request.query.get("pageToken")
        if token is None:
            return web.json_response(page1)
        if token == page1["nextPageToken"]:
            return web.json_response(page2)
        return web.Response(body=fixture_bytes("error_400.json"), status=400, content_type="application/json")

    server.handler = handler


# ------------------------------------------------------------------------------------ countTokens


async def test_count_tokens_sends_contents_form(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("count_tokens.json"))
    r = await client.models.count_tokens(model=MODEL, contents="The quick brown fox jumps over the lazy dog.")
    assert isinstance(r, types.CountTokensResponse)
    assert r.total_tokens == 31 and r.cached_content_token_count is None
    assert r.prompt_tokens_details is not None
    assert (r.prompt_tokens_details[0].modality, r.prompt_tokens_details[0].token_count) == ("TEXT", 31)
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"]) == ("POST", "/v1beta/models/gemini-3.5-flash:countTokens", {})
    assert req["json"] == {
        "contents": [{"role": "user", "parts": [{"text": "The quick brown fox jumps over the lazy dog."}]}]
    }


async def test_count_tokens_with_system_tools_and_generation_config(
    server: Scripted, client: genai_async.Client
) -> None:
    server.reply_json(fixture_json("count_tokens.json"))
    tool = {"function_declarations": [{"name": "get_weather", "description": "Weather for a city"}]}
    await client.models.count_tokens(
        model="models/gemini-3.5-flash",
        contents=["Hello", "there"],
        config={
            "system_instruction": "You are a cat.",
            "tools": [tool],
            "generation_config": {"temperature": 0.5, "thinking_config": {"thinking_level": "low"}},
        },
    )
    body = server.requests[0]["json"]
    assert list(body) == ["generateContentRequest"]
    assert body["generateContentRequest"] == {
        "model": "models/gemini-3.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "Hello"}, {"text": "there"}]}],
        "systemInstruction": {"parts": [{"text": "You are a cat."}]},
        "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city"}]}],
        "generationConfig": {"temperature": 0.5, "thinkingConfig": {"thinkingLevel": "LOW"}},
    }


@pytest.mark.parametrize("where", ["count_tokens", "generate_content"])
async def test_a_hand_built_thinking_config_goes_out_upper_case(
    server: Scripted, client: genai_async.Client, where: str
) -> None:
    # A dict is upper-cased by the key check; a Struct built by hand keeps "low" until the request is built.
    thinking = types.ThinkingConfig(thinking_level="low")
    if where == "count_tokens":
        server.reply_json(fixture_json("count_tokens.json"))
        config = types.CountTokensConfig(generation_config=types.GenerationConfig(thinking_config=thinking))
        await client.models.count_tokens(model=MODEL, contents="hi", config=config)
        sent = server.requests[0]["json"]["generateContentRequest"]["generationConfig"]
    else:
        server.reply_json(fixture_json("generate_text.json"))
        await client.models.generate_content(
            model=MODEL, contents="hi", config=types.GenerateContentConfig(thinking_config=thinking)
        )
        sent = server.requests[0]["json"]["generationConfig"]
    assert sent == {"thinkingConfig": {"thinkingLevel": "LOW"}}
    assert thinking.thinking_level == "low"  # the caller's object is left as it was


async def test_count_tokens_http_options_only_keeps_contents_form(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(fixture_json("count_tokens.json"))
    cfg = types.CountTokensConfig(http_options=types.HttpOptions(headers={"x-extra": "1"}))
    await client.models.count_tokens(model=MODEL, contents="hi", config=cfg)
    req = server.requests[0]
    assert list(req["json"]) == ["contents"]
    assert req["headers"]["x-extra"] == "1"


async def test_count_tokens_reads_paths(server: Scripted, client: genai_async.Client, tmp_path: Path) -> None:
    server.reply_json(fixture_json("count_tokens.json"))
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello file")
    await client.models.count_tokens(model=MODEL, contents=["Summarise:", note])
    parts = server.requests[0]["json"]["contents"][0]["parts"]
    assert parts == [{"text": "Summarise:"}, {"inlineData": {"mimeType": "text/plain", "data": "aGVsbG8gZmlsZQ=="}}]


async def test_count_tokens_400_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_400_bad_request.json", 400)
    with pytest.raises(errors.ClientError) as info:
        await client.models.count_tokens(model=MODEL, contents="x")
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert "countTokens" in str(info.value.endpoint)


# ------------------------------------------------------------------------------------- embeddings


def embeddings_reply(count: int) -> dict[str, Any]:
    if count == 1:  # the single embedContent fixture, in the batch envelope
        return {"embeddings": [fixture_json("embed_content.json")["embedding"]]}
    batch: dict[str, Any] = fixture_json("batch_embed_contents.json")
    return batch


async def test_embed_single_string(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(1))
    r = await client.models.embed_content(model=EMBED, contents="What is the meaning of life?")
    assert isinstance(r, types.EmbedContentResponse)
    assert r.embeddings is not None and len(r.embeddings) == 1
    assert r.embeddings[0].values == fixture_json("embed_content.json")["embedding"]["values"]
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"]) == (
        "POST",
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        {},
    )
    assert req["json"] == {
        "requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "What is the meaning of life?"}]}}
        ]
    }


async def test_embed_list_of_strings_is_one_request_each_in_order(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(2))
    r = await client.models.embed_content(model=f"models/{EMBED}", contents=["first text", "second text"])
    expected = [e["values"] for e in fixture_json("batch_embed_contents.json")["embeddings"]]
    assert r.embeddings is not None and [e.values for e in r.embeddings] == expected
    requests = server.requests[0]["json"]["requests"]
    assert [q["content"] for q in requests] == [
        {"parts": [{"text": "first text"}]},
        {"parts": [{"text": "second text"}]},
    ]
    assert {q["model"] for q in requests} == {"models/gemini-embedding-001"}


async def test_embed_config_on_every_request(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(2))
    cfg = {"task_type": "retrieval_document", "title": "Doc", "output_dimensionality": 8}
    await client.models.embed_content(model=EMBED, contents=["a", "b"], config=cfg)
    for q in server.requests[0]["json"]["requests"]:
        assert q["taskType"] == "RETRIEVAL_DOCUMENT"
        assert q["title"] == "Doc"
        assert q["outputDimensionality"] == 8


async def test_embed_camel_keys_and_struct_config(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(1))
    await client.models.embed_content(model=EMBED, contents="q", config={"taskType": "RETRIEVAL_QUERY"})
    server.reply_json(embeddings_reply(1))
    await client.models.embed_content(
        model=EMBED, contents="q", config=types.EmbedContentConfig(output_dimensionality=256)
    )
    first, second = (r["json"]["requests"][0] for r in server.requests)
    assert first["taskType"] == "RETRIEVAL_QUERY" and "outputDimensionality" not in first
    assert second["outputDimensionality"] == 256 and "taskType" not in second


async def test_embed_contents_and_parts(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(2))
    contents = [
        types.Content(role="user", parts=[types.Part(text="a"), types.Part(text="b")]),
        {"parts": [{"text": "c"}]},
    ]
    await client.models.embed_content(model=EMBED, contents=contents)
    requests = server.requests[0]["json"]["requests"]
    assert requests[0]["content"] == {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}
    assert requests[1]["content"] == {"parts": [{"text": "c"}]}


async def test_embed_count_mismatch_is_stream_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_json(embeddings_reply(1))
    with pytest.raises(errors.StreamError, match="2 inputs but got 1"):
        await client.models.embed_content(model=EMBED, contents=["a", "b"])


@pytest.mark.parametrize(
    ("contents", "config", "match"),
    [
        ("x", {"title": "T"}, "RETRIEVAL_DOCUMENT"),
        ("x", {"task_type": "RETRIEVAL_QUERY", "title": "T"}, "RETRIEVAL_DOCUMENT"),
        ("x", {"output_dimensionality": 0}, "positive"),
        ("x", {"output_dimensionality": -3}, "positive"),
        ("x", {"output_dimensionality": "8"}, "int"),
        ("x", {"output_dimensionality": True}, "int"),
        ("x", {"dimensions": 8}, "unknown key"),
        ([], None, "empty"),
        ("", None, "empty"),
        ([object()], None, "cannot be sent"),
    ],
)
async def test_embed_bad_input_sends_nothing(
    server: Scripted, client: genai_async.Client, contents: Any, config: Any, match: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        await client.models.embed_content(model=EMBED, contents=contents, config=config)
    assert server.requests == []


# ----------------------------------------------------------------------------------------- models


async def test_models_list_await_then_iterate_two_pages(server: Scripted, client: genai_async.Client) -> None:
    reply_model_pages(server)
    pager = await client.models.list()
    assert len(pager.page) == 3 and len(server.requests) == 1
    names = [m.name async for m in pager]
    assert names == [
        "models/gemini-2.5-flash",
        "models/gemini-3-flash-preview",
        "models/gemini-3.5-flash",
        "models/gemini-3.1-pro-preview",
        "models/gemini-embedding-001",
    ]
    first, second = server.requests
    assert (first["method"], first["path"], first["query"]) == ("GET", "/v1beta/models", {})
    assert first["body"] == b""
    assert second["path"] == "/v1beta/models"
    assert second["query"] == {"pageToken": "CiNtb2RlbHMvZ2VtaW5pLTMuNS1mbGFzaA=="}


async def test_models_list_iterates_without_await_and_honours_page_size(
    server: Scripted, client: genai_async.Client
) -> None:
    reply_model_pages(server)
    models = [m async for m in client.models.list(config={"page_size": 3})]
    assert len(models) == 5 and all(isinstance(m, types.Model) for m in models)
    embed = models[-1]
    assert embed.input_token_limit == 2048 and embed.temperature is None
    assert embed.supported_generation_methods == [
        "embedContent",
        "countTextTokens",
        "countTokens",
        "asyncBatchEmbedContent",
    ]
    assert [r["query"] for r in server.requests] == [
        {"pageSize": "3"},
        {"pageSize": "3", "pageToken": "CiNtb2RlbHMvZ2VtaW5pLTMuNS1mbGFzaA=="},
    ]


async def test_models_list_starts_at_given_page_token(server: Scripted, client: genai_async.Client) -> None:
    reply_model_pages(server)
    cfg = types.ListModelsConfig(page_token="CiNtb2RlbHMvZ2VtaW5pLTMuNS1mbGFzaA==")
    models = [m async for m in client.models.list(config=cfg)]
    assert [m.name for m in models] == ["models/gemini-3.1-pro-preview", "models/gemini-embedding-001"]
    assert len(server.requests) == 1


async def test_models_list_is_a_pager_not_a_coroutine(server: Scripted, client: genai_async.Client) -> None:
    pager = client.models.list()
    assert isinstance(pager, Pager) and not inspect.iscoroutine(pager)
    assert server.requests == []  # nothing fetched until awaited or iterated


@pytest.mark.parametrize("config", [{"page_size": 0}, {"page_size": -1}, {"page_size": "3"}, {"pagesize": 3}])
async def test_models_list_bad_config_sends_nothing(server: Scripted, client: genai_async.Client, config: Any) -> None:
    with pytest.raises(errors.ConfigurationError):
        client.models.list(config=config)
    assert server.requests == []


async def test_models_list_error_page_is_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_403.json", 403)
    with pytest.raises(errors.ClientError) as info:
        async for _ in client.models.list():
            pass
    assert info.value.code == 403


@pytest.mark.parametrize("name", [MODEL, f"models/{MODEL}"])
async def test_models_get(server: Scripted, client: genai_async.Client, name: str) -> None:
    server.reply_json(fixture_json("model_get.json"))
    m = await client.models.get(model=name)
    assert isinstance(m, types.Model)
    assert (m.name, m.version, m.display_name) == ("models/gemini-3.5-flash", "3.5-flash-05-2026", "Gemini 3.5 Flash")
    assert (m.input_token_limit, m.output_token_limit) == (1048576, 65536)
    assert (m.temperature, m.max_temperature, m.top_p, m.top_k, m.thinking) == (1.0, 2.0, 0.95, 64, True)
    assert m.supported_actions == ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
    req = server.requests[0]
    assert (req["method"], req["path"], req["query"], req["body"]) == (
        "GET",
        "/v1beta/models/gemini-3.5-flash",
        {},
        b"",
    )


async def test_models_get_unknown_is_404_client_error(server: Scripted, client: genai_async.Client) -> None:
    server.reply_fixture("error_404.json", 404)
    with pytest.raises(errors.ClientError) as info:
        await client.models.get(model="gemini-9.9-flash")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    assert server.requests[0]["path"] == "/v1beta/models/gemini-9.9-flash"


@pytest.mark.parametrize("model", ["", "bad model", "models/", "models/a/b", "../secrets", None])
async def test_bad_model_names_send_nothing(server: Scripted, client: genai_async.Client, model: Any) -> None:
    with pytest.raises(errors.ConfigurationError):
        await client.models.get(model=model)
    with pytest.raises(errors.ConfigurationError):
        await client.models.count_tokens(model=model, contents="x")
    with pytest.raises(errors.ConfigurationError):
        await client.models.embed_content(model=model, contents="x")
    assert server.requests == []


async def test_get_config_accepts_only_http_options(server: Scripted, client: genai_async.Client) -> None:
    with pytest.raises(errors.ConfigurationError, match="http_options"):
        await client.models.get(model=MODEL, config={"page_size": 3})
    assert server.requests == []
    server.reply_json(fixture_json("model_get.json"))
    await client.models.get(model=MODEL, config={"http_options": {"headers": {"x-extra": "2"}}})
    assert server.requests[0]["headers"]["x-extra"] == "2"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.models.count_tokens(model=MODEL, contents="x"),
        lambda c: c.models.embed_content(model=EMBED, contents="x"),
        lambda c: c.models.get(model=MODEL),
        lambda c: c.models.list(),
    ],
    ids=["count_tokens", "embed_content", "get", "list"],
)
async def test_every_endpoint_raises_client_error_on_envelope(
    server: Scripted, client: genai_async.Client, call: Any
) -> None:
    server.reply_fixture("error_404.json", 404)
    with pytest.raises(errors.ClientError) as info:
        await call(client)
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    assert "models/gemini-9.9-flash is not found" in info.value.message
    assert len(server.requests) == 1
