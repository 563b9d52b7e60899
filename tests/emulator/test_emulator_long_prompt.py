"""Long prompts: answered in linear time, off the event loop, with hints taken once per request."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import pytest

from genai_async.emulator import _generate, _text

from .emulator_helpers import Api, user


def _long_text(words: int, tail: str) -> str:
    return "Zurich harbor lantern. " * (words // 3) + tail


async def _generate_big(api: Api, text: str) -> dict[str, Any]:
    # A file-like body: aiohttp warns (an error here) about raw bytes over 1 MiB.
    body = io.BytesIO(json.dumps({"contents": [user(text)]}).encode())
    result = await api.request(
        "POST",
        "/v1beta/models/gemini-3.5-flash:generateContent",
        data=body,
        headers={"content-type": "application/json"},
    )  # type: ignore[arg-type]
    assert result.status == 200, result.body[:300]
    return result.json()  # type: ignore[no-any-return]


async def test_million_token_prompt_is_counted_and_answered(api: Api) -> None:
    text = _long_text(765_000, "What is the weather in New York?")
    expected = _text.hints(text)
    response = await _generate_big(api, text)
    usage = response["usageMetadata"]
    assert usage["promptTokenCount"] >= 1_000_000
    assert expected.names[:1] == ["Zurich"]  # the head's proper nouns, found without a scan per word
    assert "New York" in expected.names  # and the tail's, where the question usually is
    assert response["candidates"][0]["finishReason"] == "STOP"


async def test_small_request_is_answered_while_a_long_one_is_generated(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    waited: list[bool] = []
    real = _generate.generate

    def slow_generate(request: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        text = request["contents"][0]["parts"][0]["text"]
        if len(text) > 1_000_000:  # the long request holds its worker until the small one is answered
            entered.set()
            waited.append(release.wait(timeout=30))
        return real(request, *args, **kwargs)

    monkeypatch.setattr(_generate, "generate", slow_generate)
    long_request = asyncio.ensure_future(_generate_big(api, _long_text(200_000, "Summarise.")))
    # Generation on the event loop would block this very loop (client and server share it) for 30 s.
    assert await asyncio.to_thread(entered.wait, 30)
    small = await api.generate({"contents": [user("Hi")]})
    release.set()
    assert small["candidates"][0]["content"]["parts"]
    response = await long_request
    assert waited == [True], "the small request waited for the long one: generation ran on the event loop"
    assert response["usageMetadata"]["promptTokenCount"] > 200_000


def test_hints_are_computed_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _text.hints

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(_text, "hints", counting)
    request = {
        "contents": [user("Tell me about Zurich")],
        "generationConfig": {"candidateCount": 3},
    }
    _generate.generate(request, {"name": "models/m", "outputTokenLimit": 100}, b"seed", lambda f: "")
    assert calls == ["Tell me about Zurich"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("What's the weather in New York and in Paris?", ["New York", "Paris"]),
        ("Book a table at Chez Panisse. Zurich is next.", ["Chez Panisse"]),
        ("Zurich is nice. Ask Bob", ["Bob"]),
        ("I met NASA people in Geneva", ["Geneva"]),
    ],
)
def test_proper_nouns_keep_multi_word_names(text: str, names: list[str]) -> None:
    assert _text.proper_nouns(text) == names
