"""Browsers and other clients: CORS (with a real headless Chromium), File.uri, upload state, CLI key, arguments."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from genai_async.emulator import Emulator

from .emulator_helpers import MODEL, Api, user

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)

PAGE = """<!doctype html><meta charset="utf-8"><script>
const base = %(base)s;
async function run() {
  const out = {};
  const r = await fetch(base + "/v1beta/models/%(model)s:streamGenerateContent?alt=sse", {
    method: "POST",
    headers: {"x-goog-api-key": "k", "x-goog-api-client": "browser-test", "content-type": "application/json"},
    body: JSON.stringify({contents: [{role: "user", parts: [{text: "Tell me about Zurich"}]}]}),
  });
  out.status = r.status;
  out.contentType = r.headers.get("content-type");
  const reader = r.body.getReader(), decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    text += decoder.decode(value, {stream: true});
  }
  out.events = text.split("\\r\\n\\r\\n").filter(Boolean).map(e => JSON.parse(e.slice(6)));
  const u = await fetch(base + "/upload/v1beta/files", {
    method: "POST",
    headers: {"x-goog-api-key": "k", "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start",
              "x-goog-upload-header-content-length": "2", "x-goog-upload-header-content-type": "text/plain",
              "content-type": "application/json"},
    body: "{}",
  });
  out.uploadUrl = u.headers.get("x-goog-upload-url");
  out.uploadStatus = u.headers.get("x-goog-upload-status");
  return out;
}
run().then(
  out => fetch("/result", {method: "POST", body: JSON.stringify(out)}),
  err => fetch("/result", {method: "POST", body: JSON.stringify({error: String(err)})}),
);
</script>"""


@contextlib.asynccontextmanager
async def page_server(base: str) -> AsyncIterator[tuple[str, asyncio.Future[Any]]]:
    """A second origin serving the test page; the page posts what it saw to /result."""
    result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE % {"base": json.dumps(base), "model": MODEL}, content_type="text/html")

    async def receive(request: web.Request) -> web.Response:
        if not result.done():
            result.set_result(json.loads(await request.text()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/result", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}/", result
    finally:
        await runner.cleanup()


@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (Debian: apt-get install chromium)")
async def test_browser_fetch_streams_across_origins(emu: Emulator, tmp_path: Path) -> None:
    async with page_server(emu.base_url) as (url, result):
        args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={tmp_path}",
            url,
        ]
        browser = await asyncio.create_subprocess_exec(
            str(BROWSER), *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            seen = await asyncio.wait_for(result, 120)  # a guard against a hang, not a timing check
        finally:
            browser.kill()
            await browser.wait()
    assert "error" not in seen, seen
    assert seen["status"] == 200 and seen["contentType"].startswith("text/event-stream")
    assert len(seen["events"]) > 1 and seen["events"][-1]["candidates"][0]["finishReason"] == "STOP"
    assert "Zurich" in "".join(p["text"] for e in seen["events"] for p in e["candidates"][0]["content"]["parts"])
    assert seen["uploadStatus"] == "active" and "upload_id=" in seen["uploadUrl"]
    preflights = [r for r in emu.requests if r.method == "OPTIONS"]
    assert preflights and "x-goog-api-key" in preflights[0].headers["access-control-request-headers"]


async def test_preflight_and_cors_headers(api: Api) -> None:
    origin = {"Origin": "http://localhost:3000"}
    pre = await api.request(
        "OPTIONS",
        f"/v1beta/models/{MODEL}:generateContent",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-goog-api-key,x-goog-api-client",
        },
        key=None,
    )
    assert pre.status == 200 and pre.body == b""
    assert pre.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "x-goog-api-key" in pre.headers["access-control-allow-headers"]
    error = await api.post(f"/v1beta/models/{MODEL}:generateContent", {"contents": []}, headers=origin)
    assert error.status == 400 and error.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-goog-upload-url" in error.headers["access-control-expose-headers"]


async def test_file_uri_is_canonical_and_resolves(api: Api) -> None:
    start = await api.request(
        "POST",
        "/upload/v1beta/files",
        json_body={"file": {"displayName": "n.txt"}},
        headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"},
    )
    done = await api.request(
        "POST",
        start.headers["x-goog-upload-url"],
        data=b"hi there",
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
    )
    file = done.json()["file"]
    assert file["uri"] == f"https://generativelanguage.googleapis.com/v1beta/{file['name']}"
    assert file["state"] == "ACTIVE"
    part = {"fileData": {"mimeType": "text/plain", "fileUri": file["uri"]}}
    response = await api.generate({"contents": [{"role": "user", "parts": [part, {"text": "Summarise"}]}]})
    assert "n.txt" in response["candidates"][0]["content"]["parts"][-1]["text"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_cli_emulator_api_key(session: aiohttp.ClientSession) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "genai_async", "emulator", "--port", str(port), "--api-key", "right-key"]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert b"listening" in await proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/v1beta/models/{MODEL}:countTokens"
        body = {"contents": [user("Hi")]}
        async with session.post(url, json=body, headers={"x-goog-api-key": "wrong"}) as wrong:
            error = (await wrong.json())["error"]
        async with session.post(url, json=body, headers={"x-goog-api-key": "right-key"}) as right:
            assert right.status == 200
    finally:
        proc.terminate()
        await proc.wait()
    assert error["code"] == 400 and error["details"][0]["reason"] == "API_KEY_INVALID"


WEATHER = {
    "functionDeclarations": [
        {
            "name": "get_forecast",
            "description": "Weather forecast for a city",
            "parameters": {
                "type": "OBJECT",
                "properties": {
                    "city": {"type": "STRING"},
                    "date": {"type": "STRING", "format": "date"},
                    "days": {"type": "INTEGER"},
                },
                "required": ["city", "date", "days"],
            },
        }
    ]
}


async def test_function_call_arguments_come_from_the_prompt(api: Api) -> None:
    prompt = "What's the forecast for New York from 2026-09-01 for the next 3 days?"
    response = await api.generate({"contents": [user(prompt)], "tools": [WEATHER]})
    call = response["candidates"][0]["content"]["parts"][0]["functionCall"]
    assert call == {"name": "get_forecast", "args": {"city": "New York", "date": "2026-09-01", "days": 3}}


async def test_a_long_word_is_several_tokens(api: Api) -> None:
    counted = await api.count({"contents": [user("pneumonoultramicroscopicsilicovolcanoconiosis")]})
    assert counted["totalTokens"] == 4  # 45 letters: 12 + 12 + 12 + 9
