"""Server-side tools (googleSearch, codeExecution, urlContext) answered deterministically and schema-correct."""

from __future__ import annotations

import pytest

import genai_async
from genai_async import types
from genai_async.emulator import Emulator

from .emulator_helpers import Api, answer_text, sse_events, user

SEARCH = {"contents": [user("Who won the 2026 Winter Olympics hockey final?")], "tools": [{"googleSearch": {}}]}


async def test_google_search_grounding_metadata(api: Api) -> None:
    response = await api.generate(SEARCH)
    candidate = response["candidates"][0]
    meta = candidate["groundingMetadata"]
    assert meta["webSearchQueries"] == ["who won the 2026 winter olympics hockey final"]
    assert [
        c["web"]["uri"].startswith("https://vertexaisearch.cloud.google.com/grounding-api-redirect/")
        for c in meta["groundingChunks"]
    ] == [True, True]
    assert all(c["web"]["title"] for c in meta["groundingChunks"])
    assert '<a class="chip"' in meta["searchEntryPoint"]["renderedContent"]
    text = answer_text(response).encode()
    for support in meta["groundingSupports"]:
        segment = support["segment"]
        assert (
            text[segment.get("startIndex", 0) : segment["endIndex"]].decode() == segment["text"]
        )  # UTF-8 byte offsets
        assert all(0 <= i < len(meta["groundingChunks"]) for i in support["groundingChunkIndices"])
    usage = response["usageMetadata"]
    assert usage["toolUsePromptTokenCount"] > 0
    assert usage["totalTokenCount"] == sum(
        usage.get(k, 0)
        for k in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount")
    )
    assert await api.generate(SEARCH) == response  # deterministic


async def test_code_execution_parts(api: Api) -> None:
    body = {"contents": [user("What is 17 plus 25 plus 0.5?")], "tools": [{"codeExecution": {}}]}
    parts = (await api.generate(body))["candidates"][0]["content"]["parts"]
    assert parts[0] == {
        "executableCode": {"language": "PYTHON", "code": "numbers = [17, 25, 0.5]\nprint(sum(numbers))\n"}
    }
    assert parts[1] == {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42.5\n"}}
    assert "42.5" in parts[2]["text"]


async def test_url_context_metadata(api: Api) -> None:
    body = {
        "contents": [user("Summarise https://example.com/a and https://example.org/b.")],
        "tools": [{"urlContext": {}}],
    }
    response = await api.generate(body)
    meta = response["candidates"][0]["urlContextMetadata"]
    assert meta == {
        "urlMetadata": [
            {"retrievedUrl": "https://example.com/a", "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"},
            {"retrievedUrl": "https://example.org/b", "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"},
        ]
    }
    assert "https://example.com/a" in answer_text(response)


async def test_streamed_tools_match_the_unary_answer(api: Api) -> None:
    body = {**SEARCH, "tools": [{"googleSearch": {}}, {"codeExecution": {}}]}
    unary = await api.generate(body)
    events = sse_events((await api.stream(body)).body)
    parts = [p for e in events for p in e["candidates"][0]["content"].get("parts", [])]
    assert [next(iter(p)) for p in parts[:2]] == ["executableCode", "codeExecutionResult"]
    assert "".join(p.get("text", "") for p in parts) == answer_text(unary)
    assert "groundingMetadata" not in events[0]["candidates"][0]
    assert events[-1]["candidates"][0]["groundingMetadata"] == unary["candidates"][0]["groundingMetadata"]
    assert events[-1]["usageMetadata"] == unary["usageMetadata"]


@pytest.mark.parametrize("stream", [False, True])
async def test_client_reads_grounding_and_code(emu: Emulator, stream: bool) -> None:
    config = types.GenerateContentConfig(
        tools=[types.Tool(google_search=types.GoogleSearch()), types.Tool(code_execution=types.ToolCodeExecution())]
    )
    async with genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        if stream:
            async with client.models.generate_content_stream(
                model="gemini-3.5-flash", contents="Add 2 and 3", config=config
            ) as s:
                async for _ in s:
                    pass
                response = s.response
        else:
            response = await client.models.generate_content(
                model="gemini-3.5-flash", contents="Add 2 and 3", config=config
            )
    candidate = response.candidates[0]
    assert candidate.grounding_metadata.web_search_queries == ["add 2 and 3"]
    assert candidate.grounding_metadata.grounding_chunks[0].web.uri.startswith("https://vertexaisearch")
    parts = candidate.content.parts
    assert parts[0].executable_code.code.startswith("numbers = [2, 3]")
    assert parts[1].code_execution_result.output == "5\n"
