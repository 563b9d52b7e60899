"""Exactly once across a real ``kill -9``: a child ``genai-async run`` is killed at a random point
(several seeds), the same command is run again, and every key must be in the output exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from genai_async.emulator import running

N = 240


def write_input(path: Path) -> list[object]:
    keys: list[object] = []
    with path.open("w") as f:
        for i in range(N):
            if i % 3 == 0:
                f.write(json.dumps({"prompt": f"question {i}"}) + "\n")  # keyed by line number
                keys.append(i + 1)
            else:
                f.write(json.dumps({"key": f"k-{i}", "contents": f"question {i}"}) + "\n")
                keys.append(f"k-{i}")
    return keys


async def start(args: list[str]) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("GEMINI_API_KEY", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "genai_async",
        "run",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_kill_9_then_resume_keeps_every_key_exactly_once(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    keys = write_input(src)
    async with running(time_to_first_chunk=0.01) as emu:
        args = [str(src), "--output", str(out), "--base-url", emu.base_url, "--concurrency", "8", "--no-progress"]
        for _kill in range(2):  # two kills in a row at random points, then a full run
            target = rng.randrange(0, N // 2)
            child = await start(args)
            while complete_lines(out) < target and child.returncode is None:  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.002)  # polling the file: the condition we wait for
            child.send_signal(signal.SIGKILL)
            await child.communicate()
            assert child.returncode == -signal.SIGKILL
            assert complete_lines(out) < N  # the kill landed before the end
        child = await start(args)
        stdout, stderr = await child.communicate()
        assert child.returncode == 0, stderr.decode()
    assert b"already in" in stdout
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    counts = Counter(json.dumps(r["key"]) for r in records)
    assert counts == Counter(json.dumps(k) for k in keys)  # every key, exactly once
    assert all("response" in r and r["response"]["candidates"] for r in records)
