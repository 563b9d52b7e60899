"""The README's notebook section, run as IPython cells (top-level await) against the emulator, and a
cell stopped mid-stream (what an interrupt does to the cell's coroutine) leaving the client usable."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

README = Path(__file__).parents[2] / "README.md"


def notebook_block() -> str:
    section = README.read_text().split("\n## In a notebook\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    return block


@pytest.fixture
def shell(gemini_emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("GEMINI_API_KEY", "notebook-key")
    monkeypatch.setenv("GENAI_ASYNC_BASE_URL", gemini_emulator.base_url)
    shell = InteractiveShell.instance(history_length=0)
    try:
        yield shell
    finally:
        InteractiveShell.clear_instance()


async def run_cell(shell: Any, code: str) -> Any:
    result = await shell.run_cell_async(code, transformed_cell=shell.transform_cell(code))
    if result.error_before_exec or result.error_in_exec:
        raise AssertionError(f"cell failed: {result.error_before_exec or result.error_in_exec!r}")
    return result


async def test_readme_notebook_cells_run_with_top_level_await(shell, gemini_emulator, capsys) -> None:
    await run_cell(shell, notebook_block())
    out = capsys.readouterr().out
    assert out.strip()
    assert len(gemini_emulator.requests) == 2  # the answer and the streamed haiku
    assert shell.user_ns["client"]._transport.closed  # the last line closed it


async def test_a_cell_stopped_mid_stream_closes_the_stream_and_the_client_stays_usable(shell, gemini_emulator) -> None:
    gemini_emulator.queue_fault("hang_after_events", after_events=1, endpoint="streamGenerateContent")
    first = asyncio.Event()
    shell.user_ns["first_chunk"] = first.set
    await run_cell(shell, "import genai_async as genai\nclient = genai.Client()")
    code = (
        "async for chunk in await client.models.generate_content_stream(model='gemini-3.5-flash', contents='Hi'):\n"
        "    first_chunk()\n"
    )
    cell = asyncio.create_task(shell.run_cell_async(code, transformed_cell=shell.transform_cell(code)))
    await first.wait()
    cell.cancel()  # the kernel stops the cell while the model is silent
    result = await cell  # IPython reports it as the cell's error (and prints the traceback)
    assert isinstance(result.error_in_exec, asyncio.CancelledError)
    client = shell.user_ns["client"]
    assert client._transport._live == set()  # the stream's connection was closed, not left reading
    await run_cell(shell, "r = await client.models.generate_content(model='gemini-3.5-flash', contents='Hi')")
    assert shell.user_ns["r"].text
    await run_cell(shell, "await client.aclose()")
