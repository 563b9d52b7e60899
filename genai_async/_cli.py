"""The ``genai-async`` command line (also ``python -m genai_async``).

Commands: ``demo`` (offline, on the embedded emulator), ``generate``, ``stream``, ``chat``, ``live``
(a Live API session, ``_cli_live.py``), ``emulator``, ``bench`` and ``run`` (bulk, in ``_bulk/cli.py``). The
real API is used when a key is set (GEMINI_API_KEY or GOOGLE_API_KEY); ``--emulator`` starts the local one
in-process and ``--base-url`` points anywhere.
Errors are one line on stderr with a non-zero exit code (a traceback only with ``--debug``) and
name the command-line options, not the client's Python arguments (:func:`cli_words`); the key is
never printed. ``chat`` (the terminal chat) lives in :mod:`._repl`, ``bench`` in :mod:`._bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import pathlib
import re
import sys
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from . import types
from ._client import Client
from ._codec import encode
from ._options import env_api_key, is_loopback
from ._version import __version__
from .errors import ConfigurationError, GenAIError

DEFAULT_MODEL = "gemini-3.5-flash"
DEMO_PROMPT = "Explain how AI works in a few sentences."
EMULATOR_KEY = "emulator-key"


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model id (default {DEFAULT_MODEL})")
    p.add_argument("--base-url", help="send requests to this server instead of Google's")
    p.add_argument("--emulator", action="store_true", help="start the local emulator and use it (no key needed)")
    p.add_argument("--system", help="system instruction")
    p.add_argument("--thinking-level", choices=["minimal", "low", "medium", "high"], help="thinking level")
    p.add_argument("--thoughts", action="store_true", help="ask for thought summaries and show them")
    p.add_argument("--max-tokens", type=int, help="max output tokens")
    p.add_argument("--temperature", type=float, help="sampling temperature (0-2)")
    p.add_argument("--json-output", action="store_true", help="ask for JSON output (response_mime_type)")
    p.add_argument("--file", action="append", default=[], metavar="PATH", help="attach a file (repeatable)")
    p.add_argument("--timeout", type=_seconds, metavar="S", help="longest silence allowed, in seconds")
    p.add_argument("--insecure-http", action="store_true",
                   help="allow a plain-http --base-url on another host (the key travels unencrypted)")
    p.add_argument("--no-retry", action="store_true", help="fail at once instead of retrying 429/5xx/connect errors")
    p.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genai-async", description="Gemini from the terminal, async and fast.")
    parser.add_argument("--version", action="version", version=f"genai-async {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="stream an answer from the embedded emulator (offline, no key)")
    demo.add_argument("prompt", nargs="?", default=DEMO_PROMPT)
    demo.add_argument("--debug", action="store_true")
    for name, text in (("generate", "one complete answer"), ("stream", "stream an answer as it is generated")):
        p = sub.add_parser(name, help=text)
        p.add_argument("prompt", help="the prompt; - reads it from stdin")
        _common(p)
        p.add_argument("--json", action="store_true", help="print the raw response JSON")
    chat = sub.add_parser("chat", help="an interactive multi-turn chat (/help inside lists its commands)")
    _common(chat)
    emu = sub.add_parser("emulator", help="run the local Gemini emulator until Ctrl-C")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--time-to-first-chunk", type=float, default=0.0, help="seconds before the first chunk")
    emu.add_argument("--tokens-per-second", type=float, help="output pace (default: as fast as possible)")
    emu.add_argument("--seed", type=int, default=0)
    emu.add_argument("--api-key", help="accept only this key (others get the service's 400 API_KEY_INVALID)")
    emu.add_argument("--lenient", action="store_true", help="skip the service's stricter request checks")
    emu.add_argument("--record", metavar="DIR", help="proxy to --upstream and record every exchange in DIR")
    emu.add_argument("--upstream", metavar="URL", help="where --record forwards (e.g. the real API's base URL)")
    emu.add_argument("--replay", metavar="DIR", help="serve the recordings in DIR (no upstream needed)")
    emu.add_argument("--max-concurrency", type=_count, metavar="N", help="capacity model: N generating requests at "
                     "once, each slower as they add up (default: no limit)")
    emu.add_argument("--overflow", choices=["queue", "reject"], default="queue", help="beyond --max-concurrency: "
                     "wait in line (default) or answer 429 RESOURCE_EXHAUSTED")
    emu.add_argument("--max-queue", type=int, metavar="N", help="with --overflow queue: 429 beyond N waiting")
    emu.add_argument("--debug", action="store_true")
    from ._bench.cli import add_bench_parser
    from ._bulk.cli import add_run_parser
    from ._cli_live import add_live_parser

    add_live_parser(sub)
    add_bench_parser(sub)
    add_run_parser(sub)
    return parser


def _seconds(text: str) -> float:
    """argparse type of ``--timeout``: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _count(text: str) -> int:
    """argparse type of a count that must be at least one."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def prompt_of(args: argparse.Namespace) -> str:
    """The prompt argument, ``-`` meaning stdin; an empty prompt is a usage error."""
    text: str = args.prompt
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        where = "stdin was empty" if args.prompt == "-" else "the prompt is empty"
        raise UsageError(f"{where}: give the prompt as an argument, or pipe it in with - (e.g. "
                         f"`echo Hi | genai-async {args.command} -`)")
    return text


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
        from .emulator import running

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


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m" if sys.stdout.isatty() else text


def _to_json(response: types.GenerateContentResponse) -> str:
    data = json.loads(encode(response))
    data.pop("parsed", None)
    return json.dumps(data, indent=2, ensure_ascii=False)


async def cmd_generate(args: argparse.Namespace) -> int:
    prompt = prompt_of(args)
    async with open_client(args) as client:
        response = await client.models.generate_content(
            model=args.model, contents=contents_of(prompt, args.file), config=generate_config(args)
        )
    if args.json:
        _out(_to_json(response) + "\n")
        return 0
    if args.thoughts and response.thoughts:
        _out(_dim(response.thoughts) + "\n\n")
    _out((response.text or "") + "\n")
    _note_empty(response)
    return 0


def _note_empty(response: types.GenerateContentResponse) -> None:
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
                _out(_dim(chunk.thoughts))
            if chunk.text:
                _out(chunk.text)
    _out("\n")
    final: types.GenerateContentResponse = stream.response
    _note_empty(final)
    return final


async def cmd_stream(args: argparse.Namespace) -> int:
    prompt = prompt_of(args)
    async with open_client(args) as client:
        stream = client.models.generate_content_stream(
            model=args.model, contents=contents_of(prompt, args.file), config=generate_config(args)
        )
        if args.json:
            async with stream:
                async for chunk in stream:
                    _out(json.dumps(json.loads(encode(chunk)), ensure_ascii=False) + "\n")
            return 0
        await stream_answer(stream, args.thoughts)
    return 0


async def cmd_demo(args: argparse.Namespace) -> int:
    from .emulator import running

    prompt = prompt_of(args)
    async with running(time_to_first_chunk=0.35, tokens_per_second=90) as emu:
        async with Client(api_key=EMULATOR_KEY, base_url=emu.base_url) as client:
            _out(_dim(f"genai-async {__version__} demo: streaming from the embedded emulator at {emu.base_url}\n"))
            _out(f"> {prompt}\n\n")
            start = time.perf_counter()
            first: float | None = None
            chunks = 0
            stream = client.models.generate_content_stream(
                model=DEFAULT_MODEL,
                contents=prompt,
                config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_level="low")),
            )
            async with stream:
                async for chunk in stream:
                    if first is None:
                        first = time.perf_counter() - start
                    chunks += 1
                    _out(chunk.text or "")
            elapsed = time.perf_counter() - start
    usage = stream.response.usage_metadata
    out_tokens = (usage.candidates_token_count or 0) if usage else 0
    rate = out_tokens / (elapsed - (first or 0.0)) if elapsed > (first or 0.0) else 0.0
    _out("\n\n" + _dim("-" * 60) + "\n")
    _out(f"time to first token  {1000 * (first or 0.0):8.0f} ms\n")
    _out(f"output tokens        {out_tokens:8d}   ({rate:.0f} tokens/s over {chunks} chunks)\n")
    if usage:
        _out(f"usage                prompt {usage.prompt_token_count}, thoughts {usage.thoughts_token_count or 0}, "
             f"total {usage.total_token_count}\n")
    _out(_dim("Set GEMINI_API_KEY and run `genai-async stream \"...\"` to talk to the real API.\n"))
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from .emulator import serve

    if (args.record is None) != (args.upstream is None):
        raise UsageError("--record DIR and --upstream URL go together")
    if args.replay is not None and not pathlib.Path(args.replay).is_dir():
        raise UsageError(f"--replay {args.replay}: no such directory (record one with --record DIR --upstream URL)")
    if args.max_queue is not None and args.max_queue < 0:
        raise UsageError(f"--max-queue must be 0 or more, got {args.max_queue}")
    serve(args.host, args.port, seed=args.seed, time_to_first_chunk=args.time_to_first_chunk,
          tokens_per_second=args.tokens_per_second, api_key=args.api_key, strict=not args.lenient,
          record=args.record, upstream=args.upstream, replay=args.replay,
          max_concurrency=args.max_concurrency, overflow=args.overflow, max_queue=args.max_queue)
    return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``genai-async``; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from ._cli_live import cmd_live

    commands = {"generate": cmd_generate, "stream": cmd_stream, "demo": cmd_demo, "live": cmd_live}
    try:
        if args.command == "chat":
            from ._repl import run_chat

            return run_chat(args)
        if args.command == "emulator":
            return cmd_emulator(args)
        if args.command == "bench":
            from ._bench.cli import run_bench

            return run_bench(args)
        if args.command == "run":
            from ._bulk.cli import run_command

            return run_command(args)
        return asyncio.run(commands[args.command](args))
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except (GenAIError, UsageError, OSError) as exc:
        if args.debug:
            raise
        sys.stderr.write(f"genai-async: error: {_one_line(exc)}\n")
        return 2 if isinstance(exc, UsageError) else 1


