"""The emulator served from a thread of its own, for synchronous code and notebooks.

    with emulator.in_thread() as emu:        # or: emu = emulator.in_thread(); ...; emu.stop()
        client = google.genai.Client(api_key="test", http_options={"base_url": emu.base_url})

The server runs on its own event loop in a daemon thread, so it never shares the caller's loop:
the official *sync* client, ``curl`` in a notebook cell, a blocking test, or code that blocks the
caller's loop can all talk to it. ``in_thread()`` returns once the socket is listening (or raises
what stopped it from starting); ``stop()`` ends streaming handlers, closes every connection and
joins the thread, and is idempotent. Methods of the emulator (``queue_error``, ``reset``...) are
reached through the handle and run on the server's loop, so they never race a handler.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from ._app import Emulator
from ._server import running

_START_TIMEOUT = 30.0


class ThreadedEmulator:
    """A running :class:`Emulator` served from its own thread; made by :func:`in_thread`."""

    def __init__(self, host: str, port: int, emulator_kwargs: dict[str, Any]) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._emulator: Emulator | None = None
        self._started: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(host, port, emulator_kwargs),),
            name="genai-async-emulator",
            daemon=True,  # never holds up the interpreter's exit; stop() is the clean way out
        )
        self._thread.start()
        try:
            self.base_url: str = self._started.result(_START_TIMEOUT)
        except BaseException:
            self._thread.join(_START_TIMEOUT)
            raise

    async def _serve(self, host: str, port: int, emulator_kwargs: dict[str, Any]) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            async with running(host, port, **emulator_kwargs) as emulator:
                self._emulator = emulator
                self._started.set_result(emulator.base_url)
                await self._stopping.wait()
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)
                return
            raise

    @property
    def emulator(self) -> Emulator:
        """The served :class:`Emulator` (its state lives on the server's thread)."""
        if self._emulator is None:
            raise RuntimeError("the emulator is not running")
        return self._emulator

    @property
    def running(self) -> bool:
        """True from start until :meth:`stop`."""
        return self._thread.is_alive()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the server's loop and return its result."""
        if self._loop is None or not self._thread.is_alive():
            raise RuntimeError("the emulator was stopped")

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(_START_TIMEOUT)

    def __getattr__(self, name: str) -> Any:
        """The emulator's attributes; its methods (``queue_error``, ``reset``...) run on its loop."""
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self.emulator, name)
        if callable(value):
            return lambda *args, **kwargs: self.call(value, *args, **kwargs)
        return value

    def stop(self) -> None:
        """Stop serving, close every connection and join the thread; safe to call more than once."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and self._thread.is_alive():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop closed meanwhile: the thread is ending anyway
                pass
        if self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"serving {self.base_url}" if self.running else "stopped"
        return f"<genai_async.emulator.ThreadedEmulator {state}>"


def in_thread(host: str = "127.0.0.1", port: int = 0, **emulator_kwargs: Any) -> ThreadedEmulator:
    """Start an :class:`Emulator` on ``host:port`` (0 = any free port) in a thread of its own and
    return its handle once it listens: use it as ``with in_thread() as emu:`` or call ``emu.stop()``.

    For synchronous code and notebooks (the official sync client, curl, blocking tests); async code
    can use :func:`running` instead. ``emulator_kwargs`` are :class:`Emulator`'s options.
    """
    return ThreadedEmulator(host, port, emulator_kwargs)
