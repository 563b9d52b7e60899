"""Short, bounded runs of the fuzz targets in fuzz/, each as its own process, in CI.

With atheris installed (``pip install atheris``) the targets run coverage-guided under libFuzzer
for a fixed number of inputs (capped in time); the random fallback driver runs in every case, so
the targets stay exercised on machines where atheris cannot be installed. Artifacts (crash files)
land in a temporary directory, never in the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
TARGETS = {"fuzz_sse.py": 8_000, "fuzz_stream_decode.py": 3_000}
"""Target: libFuzzer inputs per CI run (each run takes a few seconds on 2 cores)."""


def run_target(target: str, args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(FUZZ / target), *args],  # an absolute target path stays as it is
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_under_atheris(target: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    flags = [f"-runs={TARGETS[target]}", "-max_total_time=10", "-seed=1", "-timeout=10", f"-dict={FUZZ / 'sse.dict'}"]
    result = run_target(target, flags, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr and "atheris not used" not in result.stderr
    assert not list(tmp_path.glob("crash-*"))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_under_the_random_driver(target: str, tmp_path: Path) -> None:
    result = run_target(target, ["-runs=1000", "-seed=1"], tmp_path, FUZZ_DRIVER="random")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "1000 inputs, no failure" in result.stderr


def test_the_random_driver_reports_what_escapes(tmp_path: Path) -> None:
    """A target that lets an exception out fails the run with the input and the traceback."""
    target = tmp_path / "fuzz_boom.py"
    target.write_text(
        f"import sys\nsys.path.insert(0, {str(FUZZ)!r})\nfrom _driver import main\n\n"
        "def test_one_input(data):\n"
        "    if data.startswith(b'boom'):\n"
        "        raise ValueError('found it')\n\n"
        "main(test_one_input, [b'boom', b'x'])\n"
    )
    result = run_target(str(target), ["-runs=1000"], tmp_path, FUZZ_DRIVER="random")
    assert result.returncode == 1
    assert "fuzz target failed on input" in result.stderr and "ValueError: found it" in result.stderr
