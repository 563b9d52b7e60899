"""Shared by the unit tests: the one mypy run of the typing tests (see tests/typecheck.py)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.typecheck import MypyRun, run_mypy


@pytest.fixture(scope="session")
def strict_mypy(tmp_path_factory: pytest.TempPathFactory) -> MypyRun:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    return run_mypy(tmp_path_factory.mktemp("mypy"))
