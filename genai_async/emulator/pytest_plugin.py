"""pytest plugin (entry point ``gemini_emulator``): the ``gemini_emulator`` fixture.

    async def test_generate(gemini_emulator):
        url = gemini_emulator.base_url + "/v1beta/models/gemini-3.5-flash:generateContent"

    @pytest.mark.gemini_emulator(tokens_per_second=50, api_key="test-key")
    async def test_paced(gemini_emulator): ...

    @pytest.mark.gemini_emulator(replay="recordings/weather")   # next to the test file
    async def test_offline(gemini_emulator): ...

The fixture is function-scoped, runs the emulator on a free port of 127.0.0.1 and works with
pytest-asyncio in ``auto`` and ``strict`` mode. pytest-asyncio is imported only when pytest
configures, so installing genai_async never breaks a test run that lacks it; using the fixture
there fails with an error that says what to install.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._app import Emulator

_MISSING = (
    "the gemini_emulator fixture needs pytest-asyncio (pip install pytest-asyncio) "
    "with its plugin enabled (not disabled by -p no:asyncio)"
)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("gemini_emulator")
    options = dict(marker.kwargs) if marker is not None else {}
    options.setdefault("max_recorded_requests", None)  # one test's requests: keep them all
    options.setdefault("max_recorded_bytes", None)
    for name in ("record", "replay"):  # a relative directory is next to the test file
        if isinstance(options.get(name), (str, os.PathLike)):
            options[name] = request.path.parent / options[name]
    return options


def _async_fixtures() -> object:
    """The plugin object registered when pytest-asyncio is active (pytest reads fixtures off its class)."""
    import pytest_asyncio

    class _AsyncFixtures:
        @pytest_asyncio.fixture
        async def gemini_emulator(self, request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
            """A running Gemini emulator; configure it with ``@pytest.mark.gemini_emulator(**kwargs)``."""
            from ._server import running  # imported on use: every pytest run loads this plugin

            async with running(**_options(request)) as emulator:
                yield emulator

    return _AsyncFixtures()


class _MissingAsyncio:
    """Registered when pytest-asyncio is absent: the fixture explains what to install."""

    @pytest.fixture
    def gemini_emulator(self) -> Emulator:
        raise pytest.UsageError(_MISSING)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gemini_emulator(**kwargs): keyword arguments for the gemini_emulator fixture's Emulator"
    )
    installed = importlib.util.find_spec("pytest_asyncio") is not None
    active = installed and not config.pluginmanager.is_blocked("asyncio")  # `-p no:asyncio` blocks it
    plugin = _async_fixtures() if active else _MissingAsyncio()
    config.pluginmanager.register(plugin, "gemini_emulator_fixtures")
