"""``--ray``: workers as Ray tasks on the local Ray instance of tests/conftest.py (local_ray), merged exactly.

Skipped only when Ray is not importable (it is the optional ``ray`` extra).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genai_async._cli import main
from genai_async._cli.bench.metrics import RequestRecord, Slo, stats_of

ray = pytest.importorskip("ray")


def test_ray_tasks_run_the_workers_and_merge_exactly(
    local_ray: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "ray.json"
    code = main(
        [
            "bench",
            "--emulator",
            "--thinking-level",
            "minimal",
            "--emulator-ttft",
            "0.05",
            "--emulator-tps",
            "2000",
            "--ray",
            "--processes",
            "2",
            "--concurrency",
            "4",
            "--requests",
            "12",
            "--output",
            str(out_file),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "2 Ray task(s)" in out and "12 completed" in out
    doc = json.loads(out_file.read_text())
    records = [RequestRecord.from_json(r) for r in doc["requests"]]
    assert len(records) == 12 and {r.worker for r in records} == {0, 1}
    assert doc["summary"]["client"]["workers"] == 2 and 0 <= doc["summary"]["client"]["workers_overlap"] <= 1
    again = stats_of(records, Slo()).summary(Slo())
    summary = doc["summary"]
    assert again.pop("client")["chunks"] == summary.pop("client")["chunks"]
    assert again == summary
