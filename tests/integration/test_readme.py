"""The README's code stays true: its emulator pytest example and its scripts run as written, and the Quickstart
commands are the ones .ci/run uses."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


async def test_emulator_example_in_readme_runs(gemini_emulator) -> None:
    (block,) = [b for b in python_blocks() if "def test_my_feature" in b]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    await namespace["test_my_feature"](gemini_emulator)


def test_quickstart_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(pip install .*?)(?:\s+#.*)?$", quick, flags=re.M)
    assert len(commands) == 2
    assert commands[0].endswith("genai-async demo")
    assert commands[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet --disable-pip-version-check -e ".[dev]"' in ci and "pytest" in ci


SCRIPTS = [b for b in python_blocks() if b.rstrip().endswith("asyncio.run(main())")]


@pytest.mark.parametrize("block", SCRIPTS, ids=[f"script{i}" for i in range(len(SCRIPTS))])
async def test_readme_scripts_run_against_the_emulator(block: str, gemini_emulator, tmp_path: Path) -> None:
    script = tmp_path / "readme_script.py"
    script.write_text(block)
    env = {**os.environ, "GEMINI_API_KEY": "readme-key", "GENAI_ASYNC_BASE_URL": gemini_emulator.base_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.strip() and gemini_emulator.requests


def test_readme_has_runnable_scripts() -> None:
    assert len(SCRIPTS) >= 2  # Generate and Stream
