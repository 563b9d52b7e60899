"""A local Gemini REST emulator (v1beta wire protocol) for tests, demos and offline development.

    async with running() as emu:          # a real socket on 127.0.0.1
        client = ...(base_url=emu.base_url)
        emu.queue_error(429, retry_delay=2)
        emu.queue_fault("drop_mid_event", after_events=2, endpoint="streamGenerateContent")

The emulator is wire-level only: it never imports the genai_async client, so the client and the
official SDK are tested against the same bytes. Responses are deterministic for a given request and
``seed``. The pytest plugin in :mod:`genai_async.emulator.pytest_plugin` provides a
``gemini_emulator`` fixture. From synchronous code or a notebook, ``with in_thread() as emu:`` serves
it from a thread of its own.
"""

from typing import TYPE_CHECKING

from ._script import ENDPOINTS, FAULT_KINDS

if TYPE_CHECKING:
    from ._app import Emulator as Emulator
    from ._app import RecordedRequest as RecordedRequest
    from ._server import running as running
    from ._server import serve as serve
    from ._server import serve_forever as serve_forever
    from ._thread import ThreadedEmulator as ThreadedEmulator
    from ._thread import in_thread as in_thread
del TYPE_CHECKING

# aiohttp.web loads with the first of these names used (PEP 562): the pytest plugin imports this
# package in every test run of every project that installs genai_async.
_LAZY = {
    "Emulator": "._app",
    "RecordedRequest": "._app",
    "ThreadedEmulator": "._thread",
    "in_thread": "._thread",
    "running": "._server",
    "serve": "._server",
    "serve_forever": "._server",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "Emulator",
    "RecordedRequest",
    "ThreadedEmulator",
    "in_thread",
    "running",
    "serve",
    "serve_forever",
]
