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

from ._app import Emulator, RecordedRequest
from ._script import ENDPOINTS, FAULT_KINDS
from ._server import running, serve
from ._thread import ThreadedEmulator, in_thread

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "Emulator",
    "RecordedRequest",
    "ThreadedEmulator",
    "in_thread",
    "running",
    "serve",
]
