"""Every ```python block of the README and every script in examples/ passes ``mypy --strict``.

Each README block is checked as a module of its own, so every block must be complete code (its
imports included): a reader can paste any one of them. Top-level ``await`` is allowed there (the
notebook section; examples/ are run as scripts by test_examples.py, where it would fail). Errors are
reported at README line numbers.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


_NOTEBOOK = '# mypy: disable-error-code="top-level-await"\n'  # one line: error lines shift by one


def readme_blocks() -> list[tuple[int, str]]:
    """(line of the block's first code line in README.md, code) for each ```python block."""
    text = README.read_text()
    return [
        (text.count("\n", 0, m.start(1)) + 1, m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    ]


def test_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 5


def test_readme_blocks_and_examples_pass_mypy_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    starts = {}
    for i, (line, code) in enumerate(readme_blocks()):
        path = tmp_path / f"readme_block_{i}.py"
        path.write_text(_NOTEBOOK + code)
        starts[path.name] = line
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            *sorted(str(p) for p in tmp_path.glob("readme_block_*.py")),
            *(str(p) for p in EXAMPLES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )

    def where(match: re.Match[str]) -> str:  # readme_block_3.py:5 -> README.md:<line>
        return f"README.md:{starts[match.group(1)] + int(match.group(2)) - 2}"

    report = re.sub(r"\S*(readme_block_\d+\.py):(\d+)", where, result.stdout + result.stderr)
    assert result.returncode == 0, report
