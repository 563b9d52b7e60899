"""Run a fuzz target under atheris (libFuzzer) when it is installed, else under a small random driver.

    python fuzz/fuzz_sse.py -runs=20000              # atheris: coverage-guided, libFuzzer flags
    python fuzz/fuzz_sse.py -max_total_time=10 -dict=fuzz/sse.dict
    python fuzz/fuzz_sse.py crash-1234abcd           # replay one input (either driver)
    FUZZ_DRIVER=random python fuzz/fuzz_sse.py -runs=2000 -seed=7   # the fallback, on purpose

The fallback is not coverage-guided: it feeds inputs built from a seeded RNG, half of them spliced
from the target's tokens (field names, line ends, JSON pieces) so the parsers get past their first
byte, for ``-runs`` inputs or ``-max_total_time`` seconds, whichever ends first. It understands
``-runs=``, ``-max_total_time=``, ``-seed=`` and input file paths, and ignores other ``-flags``. On
a failure it prints the input and the traceback and exits 1, like libFuzzer.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Target = Callable[[bytes], None]


def _atheris() -> Any:
    if os.environ.get("FUZZ_DRIVER") == "random":
        return None
    try:
        import atheris  # type: ignore[import-untyped]
    except ImportError:
        return None
    return atheris


OFF_PATH = [
    f"genai_async.{name}"
    for name in (
        "_cli", "_client", "_coerce", "_limits", "_options", "_pager", "_preload", "_retry", "_transport", "_watchdog",
        "_resources",
        "_resources._history", "_resources._sources", "_resources._upload", "_resources.caches", "_resources.chats",
        "_resources.files", "_resources.models",
    )
]  # fmt: skip
"""Modules no fuzz target reaches: left uninstrumented, which saves a second at every start."""


def instrumented() -> contextlib.AbstractContextManager[Any]:
    """Wrap the imports of the code under test: atheris instruments genai_async for coverage feedback.

    Only genai_async: instrumenting everything it imports (asyncio, email, msgspec's Python parts...)
    would cost seconds at every start and guide the fuzzer toward code that is not ours.
    """
    atheris = _atheris()
    if atheris is None:
        return contextlib.nullcontext()
    manager: contextlib.AbstractContextManager[Any] = atheris.instrument_imports(
        include=["genai_async"], exclude=OFF_PATH
    )
    return manager


def main(target: Target, tokens: Sequence[bytes]) -> None:
    atheris = _atheris()
    if atheris is not None:
        atheris.Setup(sys.argv, target)
        atheris.Fuzz()
        return
    sys.exit(_random_driver(target, tokens, sys.argv[1:]))


def _flags(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    flags, paths = {}, []
    for arg in argv:
        if arg.startswith("-") and "=" in arg:
            name, value = arg[1:].split("=", 1)
            flags[name] = value
        elif not arg.startswith("-"):
            paths.append(arg)
    return flags, paths


def _inputs(rng: random.Random, tokens: Sequence[bytes]) -> Iterator[bytes]:
    while True:
        if tokens and rng.random() < 0.5:
            yield b"".join(rng.choice(tokens) for _ in range(rng.randint(0, 64)))
        else:
            yield rng.randbytes(rng.randint(0, 512))


def _random_driver(target: Target, tokens: Sequence[bytes], argv: Sequence[str]) -> int:
    flags, paths = _flags(argv)
    if paths:
        cases: Iterator[bytes] = (open(path, "rb").read() for path in paths)
        runs = len(paths)
    else:
        cases = _inputs(random.Random(int(flags.get("seed", "0"))), tokens)
        runs = int(flags.get("runs", "1000"))
    deadline = time.monotonic() + float(flags.get("max_total_time", "inf"))
    done = 0
    for data in cases:
        if done >= runs or time.monotonic() > deadline:
            break
        try:
            target(data)
        except BaseException:  # anything escaping the target is the finding
            sys.stderr.write(f"== fuzz target failed on input ({len(data)} bytes): {data!r}\n")
            traceback.print_exc()
            return 1
        done += 1
    sys.stderr.write(f"== random driver: {done} inputs, no failure (atheris not used)\n")
    return 0
