"""Helpers for the emulator tests (imported by conftest.py and the test modules; uniquely named on purpose)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from genai_async.emulator import Emulator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODEL = "gemini-3.5-flash"
KEY = "test-key"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def model_turn(text: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text}]}


def sse_events(body: bytes, line_end: bytes = b"\r\n") -> list[dict[str, Any]]:
    """Strictly parse ``data: <json>`` + blank line events; fails on anything else."""
    sep = line_end + line_end
    assert body.endswith(sep), body[-80:]
    events = []
    for block in body[: -len(sep)].split(sep):
        assert block.startswith(b"data: "), block[:80]
        assert line_end not in block
        events.append(json.loads(block[len(b"data: ") :]))
    return events


def answer_text(response: dict[str, Any], index: int = 0) -> str:
    parts = response["candidates"][index].get("content", {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


@dataclass
class Result:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Raw HTTP against the emulator; no genai_async client code involved."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emulator = emulator

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        key: str | None = KEY,
    ) -> Result:
        all_headers = {"x-goog-api-key": key} if key else {}
        all_headers.update(headers or {})
        url = path if path.startswith("http") else self.emulator.base_url + path
        async with self.session.request(
            method, url, json=json_body, data=data, headers=all_headers, params=params
        ) as resp:
            return Result(resp.status, resp.headers, await resp.read())

    async def post(self, path: str, body: Any, **kwargs: Any) -> Result:
        return await self.request("POST", path, json_body=body, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> Result:
        return await self.request("GET", path, **kwargs)

    async def generate(self, body: Any, model: str = MODEL) -> dict[str, Any]:
        result = await self.post(f"/v1beta/models/{model}:generateContent", body)
        assert result.status == 200, result.body
        return result.json()  # type: ignore[no-any-return]

    async def stream(self, body: Any, model: str = MODEL, alt: str | None = "sse") -> Result:
        params = {"alt": alt} if alt else None
        return await self.post(f"/v1beta/models/{model}:streamGenerateContent", body, params=params)

    async def count(self, body: Any, model: str = MODEL) -> dict[str, Any]:
        result = await self.post(f"/v1beta/models/{model}:countTokens", body)
        assert result.status == 200, result.body
        return result.json()  # type: ignore[no-any-return]
