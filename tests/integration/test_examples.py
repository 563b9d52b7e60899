"""Every script in examples/ runs against the emulator (as a user would, via GENAI_ASYNC_BASE_URL)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

PRINTS = {  # what an example must print besides some output
    "live_tools": ["[the session runs get_weather({'city': 'Zurich'}), get_time({'city': 'Zurich'})]"],
    "tracing": ['"name": "generate_content gemini-3.5-flash"', '"gen_ai.response.first_chunk"', '"answer-question"'],
}
SERVERS = {"web_backend"}  # serves until stopped: tests/integration/test_web_backend.py runs it over a socket
EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").glob("*.py") if p.stem not in SERVERS)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
async def test_example_runs_against_emulator(script: Path, gemini_emulator) -> None:
    env = {**os.environ, "GEMINI_API_KEY": "example-key", "GENAI_ASYNC_BASE_URL": gemini_emulator.base_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.strip(), f"{script.name} printed nothing"
    for text in PRINTS.get(script.stem, ()):
        assert text in out.decode(), f"{script.name} did not print {text}"
    assert b"example-key" not in out + err
    assert gemini_emulator.requests, "the example never reached the emulator"
