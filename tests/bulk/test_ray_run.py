"""``genai-async run --ray``: the input sharded over Ray actors of the local Ray of tests/conftest.py, merged
into one output with the same exactly-once rule (resume included). Skipped only without Ray."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from genai_async._cli import main

ray = pytest.importorskip("ray")


def test_ray_run_shards_and_resumes(local_ray: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"key": f"k{i}", "prompt": f"q{i}"}) + "\n" for i in range(50)))
    args = [
        "run",
        str(src),
        "--output",
        str(out),
        "--emulator",
        "--ray",
        "--ray-workers",
        "2",
        "--concurrency",
        "8",
        "--no-progress",
    ]
    assert main(args) == 0
    assert "50 requests" in capsys.readouterr().out
    lines = out.read_bytes().split(b"\n")
    assert Counter(json.loads(x)["key"] for x in lines[:-1]) == Counter(f"k{i}" for i in range(50))
    out.write_bytes(b"\n".join(lines[:20]) + b"\n" + lines[20][:15])  # as if killed mid-write
    assert main([*args, "--progress"]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "30 done" in captured.err and "eta" in captured.err  # the progress line, as chunks finish
    assert "30 requests" in printed and "20 already in" in printed and "torn last line" in printed
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert Counter(r["key"] for r in records) == Counter(f"k{i}" for i in range(50))
    assert all("response" in r for r in records)
