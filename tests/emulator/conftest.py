"""Fixtures for the emulator tests: a running emulator, a raw aiohttp session, an ``Api`` helper."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
