"""One ``mypy --strict`` run (the project's configuration) over every file a typing test checks.

The README's python blocks and examples/ (tests/unit/test_docs_typecheck.py) and
tests/typing/reveal_types.py (tests/unit/test_types.py::test_revealed_types) are checked by one mypy
process: most of a run is mypy starting and analysing genai_async, which they share. Each README block
is written as a module of its own, so every block must be complete code (its imports included); top-level
``await`` is allowed there (the notebook section). Errors in blocks are reported at README line numbers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
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


def run_mypy(folder: Path) -> MypyRun:
    """Write the README blocks into ``folder`` and run mypy once over them, examples/ and the reveal file."""
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
