"""What the commands share: the default model, the emulator's key, the usage error, opening a client.

Every command module (:mod:`.main`, :mod:`.live`, :mod:`.repl`, :mod:`.run`, :mod:`.bench.cli`) imports
from here and never from each other, so the package has no import cycle: ``main`` (the parser and the
dispatch) sits on top, this module at the bottom, and it only imports the client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pathlib
import re
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, TypeVar

from .. import types
from .._client import Client
from .._options import env_api_key, is_loopback
from ..errors import ConfigurationError

DEFAULT_MODEL = "gemini-3.5-flash"
EMULATOR_KEY = "emulator-key"


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


_T = TypeVar("_T")
LOOPS = ("auto", "asyncio", "uvloop")
LOOP_HELP = "event loop: uvloop (about 10 %% less CPU per request) or asyncio's; auto (default): uvloop when installed"


def resolve_loop(choice: str) -> str:
    """``asyncio`` or ``uvloop`` for ``--loop``: ``auto`` takes uvloop when it is installed."""
    if choice == "asyncio":
        return choice
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if choice == "uvloop":
            raise UsageError("--loop uvloop needs uvloop: pip install 'genai-async[uvloop]' (not on Windows)") from None
        return "asyncio"
    return "uvloop"


def run_async(main: Coroutine[Any, Any, _T], loop: str) -> _T:
    """Run ``main`` to completion on ``loop`` (``asyncio`` or ``uvloop``, see :func:`resolve_loop`)."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def cli_words(message: str) -> str:
    """A client error message in the command line's words (options instead of Python arguments)."""
    for python, option in _CLI_WORDS:
        message = re.sub(python, option, message)
    return message


_CLI_WORDS = (
    (r"\bpass allow_insecure_http=True\b", "add --insecure-http"),
    (r"\ballow_insecure_http\b", "--insecure-http"),
    (r"\bbase_url\b", "--base-url"),
    (r"\btimeout\b", "--timeout"),
)


def generate_config(args: argparse.Namespace) -> types.GenerateContentConfig | None:
    """The GenerateContentConfig the common options ask for (None when none was given)."""
    fields: dict[str, Any] = {}
    if args.system:
        fields["system_instruction"] = args.system
    if args.thinking_level or args.thoughts:
        fields["thinking_config"] = types.ThinkingConfig(
            thinking_level=args.thinking_level, include_thoughts=True if args.thoughts else None
        )
    if args.max_tokens is not None:
        fields["max_output_tokens"] = args.max_tokens
    if args.temperature is not None:
        fields["temperature"] = args.temperature
    if args.json_output:
        fields["response_mime_type"] = "application/json"
    return types.GenerateContentConfig(**fields) if fields else None


def contents_of(prompt: str, files: Sequence[str]) -> list[Any]:
    paths: list[Any] = []
    for name in files:
        path = pathlib.Path(name)
        if not path.is_file():
            raise UsageError(f"--file {name}: no such file")
        paths.append(path)
    return [*paths, prompt]


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[Client]:
    """A client on the real API, on --base-url, or on an in-process emulator (--emulator)."""
    options: dict[str, Any] = {"timeout": args.timeout} if getattr(args, "timeout", None) else {}
    if getattr(args, "no_retry", False):
        options["retry"] = False
    if getattr(args, "insecure_http", False):
        options["allow_insecure_http"] = True
    if getattr(args, "emulator", False):
        from ..emulator import running

        async with running(time_to_first_chunk=0.2, tokens_per_second=80) as emu:
            async with Client(api_key=EMULATOR_KEY, base_url=emu.base_url, **options) as client:
                yield client
        return
    key = env_api_key()
    if getattr(args, "base_url", None):
        key = key or EMULATOR_KEY if is_loopback(args.base_url) else key
    if not key:
        raise UsageError("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or use --emulator to run offline")
    try:
        client = Client(api_key=key, base_url=getattr(args, "base_url", None), **options)
    except ConfigurationError as exc:
        raise UsageError(cli_words(str(exc))) from exc
    async with client:
        yield client


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m" if sys.stdout.isatty() else text


def note_empty(response: types.GenerateContentResponse) -> None:
    """Say why there is no text (blocked prompt, MAX_TOKENS spent on thinking...) instead of silence."""
    if response.text:
        return
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        sys.stderr.write(f"genai-async: the prompt was blocked ({feedback.block_reason})\n")
    elif response.candidates:
        reason = response.candidates[0].finish_reason
        sys.stderr.write(f"genai-async: no text in the answer (finish reason {reason}); try a larger --max-tokens\n")


async def stream_answer(stream: Any, show_thoughts: bool) -> types.GenerateContentResponse:
    """Print a stream live (thoughts dimmed); returns the stitched response."""
    async with stream:
        async for chunk in stream:
            if show_thoughts and chunk.thoughts:
                out(dim(chunk.thoughts))
            if chunk.text:
                out(chunk.text)
    out("\n")
    final: types.GenerateContentResponse = stream.response
    note_empty(final)
    return final


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
