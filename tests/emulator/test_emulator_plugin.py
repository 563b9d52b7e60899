"""The pytest plugin's ``gemini_emulator`` fixture, recorded requests and ``reset()``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from genai_async.emulator import Emulator

from .emulator_helpers import KEY, MODEL, Api, user


async def test_fixture_serves_requests(gemini_emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        response = await Api(session, gemini_emulator).generate({"contents": [user("Hi")]})
    assert response["modelVersion"] == MODEL


@pytest.mark.gemini_emulator(api_key="only-this", seed=3)
async def test_fixture_takes_marker_options(gemini_emulator: Emulator) -> None:
    assert gemini_emulator.api_key == "only-this" and gemini_emulator.seed == 3
    async with aiohttp.ClientSession() as session:
        result = await Api(session, gemini_emulator).post(f"/v1beta/models/{MODEL}:countTokens", {"contents": []})
    assert result.status == 400 and b"API_KEY_INVALID" in result.body


async def test_requests_are_recorded_and_reset(api: Api, emu: Emulator) -> None:
    await api.post(f"/v1beta/models/{MODEL}:generateContent", {"contents": [user("Hi")]}, params={"alt": "json"})
    await api.request("POST", "/upload/v1beta/files?upload_id=x", data=b"\x00\x01", key=None)
    first, second = emu.requests
    assert first.method == "POST" and first.path == f"/v1beta/models/{MODEL}:generateContent"
    assert first.query == {"alt": "json"}
    assert first.headers["x-goog-api-key"] == KEY
    assert first.json == {"contents": [user("Hi")]}
    assert second.json is None and second.body == b"\x00\x01"
    emu.queue_error(500)
    emu.reset()
    assert emu.requests == []
    assert (await api.post(f"/v1beta/models/{MODEL}:countTokens", {"contents": []})).status == 200


def test_base_url_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = Emulator().base_url


STRICT_USER_TEST = """
import aiohttp, pytest

@pytest.mark.asyncio
async def test_uses_fixture(gemini_emulator):
    async with aiohttp.ClientSession() as s:
        async with s.get(gemini_emulator.base_url + "/v1beta/models", headers={"x-goog-api-key": "k"}) as r:
            assert r.status == 200
"""
SYNC_USER_TEST = """
def test_uses_fixture(gemini_emulator):
    pass
"""


def _run_pytest(tmp_path: Path, source: str, *args: str, ini: str = "") -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n" + ini)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fixture_works_in_strict_mode(tmp_path: Path) -> None:
    # the loop scope is set as a careful user would: pytest 9.2 turns pytest-asyncio's "unset loop
    # scope" deprecation warning into a configure-time error under filterwarnings=error
    strict = _run_pytest(
        tmp_path, STRICT_USER_TEST, "-o", "asyncio_mode=strict", ini="asyncio_default_fixture_loop_scope = function\n"
    )
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_fixture_explains_a_missing_pytest_asyncio(tmp_path: Path) -> None:
    without = _run_pytest(tmp_path, SYNC_USER_TEST, "-p", "no:asyncio")
    assert without.returncode != 0
    assert "needs pytest-asyncio" in without.stdout + without.stderr


PLUGIN_IMPORT = """
import sys
import pytest  # loaded anyway in a test run
before = set(sys.modules)
import genai_async.emulator.pytest_plugin
loaded = sorted(set(sys.modules) - before)
print("\\n".join(loaded))
"""


def test_plugin_import_loads_neither_aiohttp_nor_the_emulator_app() -> None:
    # Every pytest run of a project that installs genai_async imports the plugin through its entry point.
    out = subprocess.run([sys.executable, "-c", PLUGIN_IMPORT], capture_output=True, text=True, check=True).stdout
    loaded = out.split()
    heavy = [m for m in loaded if m.split(".")[0] in ("aiohttp", "multidict", "yarl", "anyio")]
    heavy += [m for m in loaded if m in ("genai_async.emulator._app", "genai_async._client", "genai_async._transport")]
    assert heavy == []
    assert "genai_async.emulator.pytest_plugin" in loaded


def test_lazy_names_still_resolve() -> None:
    import genai_async
    import genai_async.emulator as emulator

    assert emulator.Emulator.__name__ == "Emulator" and callable(emulator.running)
    assert genai_async.Client.__module__ == "genai_async"
    assert {"Emulator", "running", "serve", "RecordedRequest"} <= set(dir(emulator))
    with pytest.raises(AttributeError):
        _ = emulator.not_a_name
