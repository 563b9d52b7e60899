"""``emulator.in_thread()``: the emulator served from its own thread and loop, for synchronous code
(the official sync client, urllib/curl) and for code that blocks the caller's loop."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from genai_async import emulator

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

MODEL = "gemini-3.5-flash"


def _sdk(base_url: str) -> object:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=base_url))


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def test_official_sync_client_against_in_thread() -> None:
    with emulator.in_thread() as emu:
        client = _sdk(emu.base_url)
        try:
            response = client.models.generate_content(model=MODEL, contents="How does AI work?")  # type: ignore[attr-defined]
            assert response.text
            chunks = list(client.models.generate_content_stream(model=MODEL, contents="Hi"))  # type: ignore[attr-defined]
            assert len(chunks) > 1 and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
        finally:
            client.close()  # type: ignore[attr-defined]
        assert [r.path.rsplit(":", 1)[1] for r in emu.requests] == ["generateContent", "streamGenerateContent"]
        assert emu.running and "genai-async-emulator" in _threads()
    assert not emu.running and "genai-async-emulator" not in _threads()
    with pytest.raises(urllib.error.URLError):  # nothing listens any more
        urllib.request.urlopen(f"{emu.base_url}/v1beta/models", timeout=5)


def test_plain_http_like_curl_and_scripted_errors() -> None:
    emu = emulator.in_thread(seed=3)
    try:
        request = urllib.request.Request(f"{emu.base_url}/v1beta/models", headers={"x-goog-api-key": "k"})
        with urllib.request.urlopen(request, timeout=5) as reply:
            assert any(m["name"] == f"models/{MODEL}" for m in json.load(reply)["models"])
        emu.queue_error(503)  # runs on the server's loop
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 503
        info.value.close()
        assert emu.seed == 3 and len(emu.requests) == 2
        emu.reset()
        assert emu.requests == []
    finally:
        emu.stop()
    emu.stop()  # idempotent
    assert "stopped" in repr(emu)


async def test_blocking_sync_call_inside_a_running_loop() -> None:
    """The caller's loop is blocked by the sync client: the emulator must not depend on it."""
    with emulator.in_thread() as emu:
        client = _sdk(emu.base_url)
        try:
            assert client.models.generate_content(model=MODEL, contents="Hi").text  # type: ignore[attr-defined]
        finally:
            client.close()  # type: ignore[attr-defined]


def test_bad_options_raise_in_the_caller_and_leave_no_thread() -> None:
    with pytest.raises(ValueError, match="chunk_tokens"):
        emulator.in_thread(chunk_tokens=0)
    assert "genai-async-emulator" not in _threads()


def test_port_in_use_raises_in_the_caller() -> None:
    with emulator.in_thread() as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            emulator.in_thread(port=port)
    assert "genai-async-emulator" not in _threads()
