"""Serve an :class:`Emulator` on a real socket: :func:`running` for tests, :func:`serve` for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sys
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from ._app import Emulator, logger

# Handlers end promptly on shutdown (see Emulator._on_shutdown); this only bounds a stuck one.
_SHUTDOWN_TIMEOUT = 2.0


@contextlib.asynccontextmanager
async def running(host: str = "127.0.0.1", port: int = 0, **emulator_kwargs: Any) -> AsyncIterator[Emulator]:
    """Start an :class:`Emulator` on ``host:port`` (0 = any free port) and yield it with ``base_url`` set.

    On exit the server stops accepting, ends streaming and hanging handlers, and closes every
    connection before returning.
    """
    emulator = Emulator(**emulator_kwargs)
    runner = web.AppRunner(emulator.app, handler_cancellation=True, shutdown_timeout=_SHUTDOWN_TIMEOUT, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
        emulator.base_url = f"http://{shown}:{bound_port}"
        _warn_if_exposed(host)
        yield emulator
    finally:
        emulator.base_url = None
        await runner.cleanup()


def _warn_if_exposed(host: str) -> None:
    """A logging warning (not stdout) when the emulator listens beyond this machine: clients send it
    their API key in clear text, and it serves anyone who can reach it."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        logger.warning(
            "the Gemini emulator listens on %r, reachable from other machines: it has no authentication and "
            "clients send it their API key in clear text over plain http; bind it to 127.0.0.1 unless "
            "that is what you want",
            host,
        )


async def serve_forever(host: str = "127.0.0.1", port: int = 8765, **emulator_kwargs: Any) -> None:
    """Serve an emulator until cancelled, on whichever event loop runs it; prints its base URL.

    A served emulator keeps no request log unless ``max_recorded_requests`` says otherwise: nothing
    outside this process could read ``Emulator.requests``, and a load test would pay for copying
    every request into it.
    """
    emulator_kwargs.setdefault("max_recorded_requests", 0)
    async with running(host, port, **emulator_kwargs) as emulator:
        sys.stdout.write(f"Gemini emulator listening on {emulator.base_url}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()


def serve(host: str = "127.0.0.1", port: int = 8765, **emulator_kwargs: Any) -> None:
    """:func:`serve_forever` on asyncio's loop until Ctrl-C (``genai-async emulator`` picks uvloop when installed)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, **emulator_kwargs))
