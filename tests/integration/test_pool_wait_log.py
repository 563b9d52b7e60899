"""A request that has to wait for a pooled connection (all ``max_connections`` in use) is logged
once per client, so a saturated pool is visible instead of looking like a slow service."""

from __future__ import annotations

import asyncio
import logging

import pytest

import genai_async
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"
EVENT = b'data: {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}]}\r\n\r\n'


def _pool_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "genai_async" and "pooled connection" in r.getMessage()]


async def test_waiting_for_the_pool_is_logged_once(server: Scripted, caplog: pytest.LogCaptureFixture) -> None:
    from aiohttp import web

    release = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.endswith(":streamGenerateContent"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await release.wait()  # holds the only connection until the test lets go
            await resp.write(EVENT)
            return resp
        return web.json_response(fixture_json("generate_text.json"))

    server.handler = handler
    caplog.set_level(logging.WARNING, logger="genai_async")
    async with genai_async.Client(api_key="k", base_url=server.base_url, max_connections=1, retry=False) as client:
        await client.models.generate_content(model=MODEL, contents="x")  # a free pool: nothing logged
        assert _pool_records(caplog) == []
        stream = await client.models.generate_content_stream(model=MODEL, contents="x")  # holds the connection
        waiting = [asyncio.create_task(client.models.generate_content(model=MODEL, contents="x")) for _ in range(2)]
        for _ in range(1000):  # wait for the condition (bounded), not for time
            if _pool_records(caplog):
                break
            await asyncio.sleep(0)
        assert _pool_records(caplog), "waiting for the pool was not logged"
        release.set()
        assert [chunk.text async for chunk in stream] == ["hi"]
        for task in waiting:
            assert (await task).text
    (record,) = _pool_records(caplog)  # once, although two requests waited
    message = record.getMessage()
    assert "all 1 pooled connections are in use" in message and "max_connections" in message
    assert record.levelno == logging.WARNING
