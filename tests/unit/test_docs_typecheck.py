"""Every ```python block of the README and every script in examples/ passes ``mypy --strict``.

Each README block is checked as a module of its own, so every block must be complete code (its
imports included): a reader can paste any one of them. Top-level ``await`` is allowed there (the
notebook section; examples/ are run as scripts by test_examples.py, where it would fail). Errors are
reported at README line numbers. The run is shared with test_types.py::test_revealed_types
(tests/typecheck.py).
"""

from __future__ import annotations

from tests.typecheck import MypyRun, readme_blocks


def test_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 5


def test_readme_blocks_and_examples_pass_mypy_strict(strict_mypy: MypyRun) -> None:
    assert strict_mypy.returncode == 0, strict_mypy.report
