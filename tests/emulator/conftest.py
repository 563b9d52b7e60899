"""Fixtures for the emulator tests: a running emulator, a raw aiohttp session, an ``Api`` helper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from genai_async.emulator import Emulator, running

from .emulator_helpers import Api


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with running() as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def api(session: aiohttp.ClientSession, emu: Emulator) -> Api:
    return Api(session, emu)


@pytest.fixture
async def sdk_emulator() -> AsyncIterator[Emulator]:
    """The emulator the official SDK talks to (a module overrides it for other options)."""
    async with running() as emulator:
        yield emulator


@pytest.fixture
async def aio(sdk_emulator: Emulator) -> AsyncIterator[Any]:
    """The official SDK's async client (``client.aio``) pointed at ``sdk_emulator``, closed after the test."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=sdk_emulator.base_url))
    try:
        yield client.aio
    finally:
        await client.aio.aclose()
        client.close()
