"""The README's code stays true: its emulator pytest example runs as written, and the Quickstart
commands are the ones .ci/run uses."""

from __future__ import annotations

import re
from pathlib import Path

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
