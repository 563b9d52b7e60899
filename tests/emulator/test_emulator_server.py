"""running() and serve(): clean start-up and shutdown, nothing left behind."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

import aiohttp
import pytest

from genai_async.emulator import _server, running
from tests.waiting import HANG

from .emulator_helpers import KEY, MODEL, user


async def test_base_url_and_no_tasks_left_after_exit() -> None:
    async with running() as emu:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.base_url)
        async with aiohttp.ClientSession() as session:
            url = f"{emu.base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
            async with session.post(url, json={"contents": [user("Hi")]}, headers={"x-goog-api-key": KEY}) as resp:
                assert resp.status == 200 and await resp.read()
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_shutdown_interrupts_a_slow_stream_promptly(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stream far longer than the hang bound (0.5 token/s), and a runner shutdown timeout longer
    # still: leaving in time proves the emulator ended the stream itself.
    monkeypatch.setattr(_server, "_SHUTDOWN_TIMEOUT", 10 * HANG)
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(HANG):
            async with running(time_to_first_chunk=0.05, tokens_per_second=0.5) as emu:
                url = f"{emu.base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
                body = {"contents": [user("Hi")], "generationConfig": {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}}
                resp = await session.post(url, json=body, headers={"x-goog-api-key": KEY})
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
        resp.release()


def test_serve_prints_the_url_and_stops_on_ctrl_c() -> None:
    code = "from genai_async.emulator import serve; serve(port=0)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.fullmatch(r"Gemini emulator listening on http://127\.0\.0\.1:\d+\n", line), line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
