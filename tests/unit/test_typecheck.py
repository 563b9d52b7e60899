"""What mypy checks, in one ``mypy --strict`` run (the project's configuration, Python 3.10):

- every ```python block of the README and every script in examples/ passes. Each README block is
  checked as a module of its own, so every block must be complete code (its imports included): a
  reader can paste any one of them. Top-level ``await`` is allowed there (the notebook section;
  examples/ are run as scripts by test_examples.py, where it would fail). Errors are reported at
  README line numbers.
- tests/typing/reveal_types.py: each ``reveal_type`` shows the type in the ``# R:`` comment on its line.

One run for all of them: most of a run is mypy starting and analysing genai_async, which they share.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
REVEAL_FILE = ROOT / "tests" / "typing" / "reveal_types.py"

_NOTEBOOK = '# mypy: disable-error-code="top-level-await"\n'  # one line: error lines shift by one


def readme_blocks() -> list[tuple[int, str]]:
    """(line of the block's first code line in README.md, code) for each ```python block."""
    text = README.read_text()
    return [
        (text.count("\n", 0, m.start(1)) + 1, m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    ]


@dataclass(frozen=True)
class MypyRun:
    returncode: int
    report: str  # stdout + stderr, README blocks' lines mapped back to README.md:<line>
    stdout: str


@pytest.fixture(scope="module")
def strict_mypy(tmp_path_factory: pytest.TempPathFactory) -> MypyRun:
    """The README blocks written as modules, then one mypy run over them, examples/ and the reveal file."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    folder = tmp_path_factory.mktemp("mypy")
    starts = {}
    for i, (line, code) in enumerate(readme_blocks()):
        path = folder / f"readme_block_{i}.py"
        path.write_text(_NOTEBOOK + code)
        starts[path.name] = line
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            str(folder / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            *sorted(str(p) for p in folder.glob("readme_block_*.py")),
            *(str(p) for p in EXAMPLES),
            str(REVEAL_FILE),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )

    def where(match: re.Match[str]) -> str:  # readme_block_3.py:5 -> README.md:<line>
        return f"README.md:{starts[match.group(1)] + int(match.group(2)) - 2}"

    report = re.sub(r"\S*(readme_block_\d+\.py):(\d+)", where, result.stdout + result.stderr)
    return MypyRun(result.returncode, report, result.stdout)


def test_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 5


def test_readme_blocks_and_examples_pass_mypy_strict(strict_mypy: MypyRun) -> None:
    assert strict_mypy.returncode == 0, strict_mypy.report


def test_revealed_types(strict_mypy: MypyRun) -> None:
    source = REVEAL_FILE.read_text().splitlines()
    expected = {
        i: m.group(1).strip()
        for i, line in enumerate(source, 1)
        if (m := re.match(r"\s*reveal_type\(.*# R: (.+)$", line))
    }
    assert strict_mypy.returncode == 0, strict_mypy.report
    revealed = {
        int(m.group(1)): m.group(2).replace("builtins.", "")
        for m in re.finditer(r"reveal_types\.py:(\d+): note: Revealed type is \"(.+)\"", strict_mypy.stdout)
    }
    assert revealed == expected
