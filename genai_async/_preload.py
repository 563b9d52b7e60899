"""Loading aiohttp off the event loop, with the codec's one-time warm-up.

aiohttp is imported on first use, which keeps ``import genai_async`` cheap, and in a worker thread
(:func:`load_in_thread`, awaited by ``Transport.open``): its import takes a few hundred
milliseconds (most of it building the default SSL context), which would otherwise freeze every
other task of the loop during the first request. The same thread builds msgspec's response decoder
(:func:`warm_codec`, a few milliseconds; building it at ``import genai_async`` would slow every
import). ``async with Client()`` opens the session up front, so the first request pays neither.

Once :func:`load` has run to its end in a process (:data:`loaded`), later clients open on the loop
directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from ._options import logger

loaded = False
"""True once :func:`load` has run to its end in this process."""


def import_aiohttp() -> Any:
    """The aiohttp module (imported on first call; every later call is a dictionary lookup)."""
    import aiohttp

    return aiohttp


def warm_codec() -> None:
    """Build msgspec's typed decoder of streamed and unary answers, the first request's other cost."""
    from ._codec import decoder
    from .types import GenerateContentResponse

    decoder(GenerateContentResponse)


def load(prepare: Callable[[], object] | None) -> None:
    """What the first session needs imported and built, and the owner's ``prepare`` (run in a worker
    thread by :func:`load_in_thread`). A failed import of aiohttp is raised (the waiting request
    fails with it); ``prepare`` is optional work done early (what it builds is built again, and fails
    loudly, where it is used), so its failure fails no request."""
    global loaded
    import_aiohttp()
    if prepare is not None:
        try:
            prepare()
        except Exception:
            logger.debug("one-time preparation failed; it is done again on first use", exc_info=True)
    loaded = True


def load_in_thread(loop: asyncio.AbstractEventLoop, prepare: Callable[[], object] | None) -> asyncio.Future[None]:
    """Run :func:`load` in a thread of its own; the future is settled in ``loop`` (or dropped if
    that loop is closed by then).

    Its own thread, not the loop's default executor: that one may be busy with the caller's own
    blocking work (even work waiting for this very client), and the first request must not queue
    behind it. A daemon thread, so it never holds up the interpreter's exit."""
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def run() -> None:
        try:
            load(prepare)
        except BaseException as exc:  # handed to the waiting request as it is
            done.set_exception(exc)
        else:
            done.set_result(None)

    threading.Thread(target=run, name="genai-async-import", daemon=True).start()
    return asyncio.wrap_future(done, loop=loop)
