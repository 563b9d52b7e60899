"""The ``genai-async`` command line (also ``python -m genai_async``).

Commands: ``demo`` (offline, on the embedded emulator), ``generate``, ``stream``, ``chat``, ``live``
(a Live API session, :mod:`.live`), ``emulator``, ``bench`` (:mod:`.bench`) and ``run`` (bulk, :mod:`.run`). The
real API is used when a key is set (GEMINI_API_KEY or GOOGLE_API_KEY); ``--emulator`` starts the local one
in-process and ``--base-url`` points anywhere.
Errors are one line on stderr with a non-zero exit code (a traceback only with ``--debug``) and
name the command-line options, not the client's Python arguments (:func:`cli_words`); the key is
never printed. ``chat`` (the terminal chat) lives in :mod:`.repl`; what the commands share in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import pathlib
import sys
import time
from collections.abc import Sequence

from .. import types
from .._client import Client
from .._codec import encode
from .._version import __version__
from ..errors import GenAIError
from .bench.cli import add_bench_parser, run_bench
from .common import (
    DEFAULT_MODEL,
    EMULATOR_KEY,
    LOOP_HELP,
    LOOPS,
    UsageError,
    contents_of,
    dim,
    generate_config,
    note_empty,
    one_line,
    open_client,
    out,
    resolve_loop,
    run_async,
    stream_answer,
)
from .live import add_live_parser, cmd_live
from .run import add_run_parser, run_command

DEMO_PROMPT = "Explain how AI works in a few sentences."


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
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow a plain-http --base-url on another host (the key travels unencrypted)",
    )
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
    emu.add_argument(
        "--max-concurrency",
        type=_count,
        metavar="N",
        help="capacity model: N generating requests at once, each slower as they add up (default: no limit)",
    )
    emu.add_argument(
        "--overflow",
        choices=["queue", "reject"],
        default="queue",
        help="beyond --max-concurrency: wait in line (default) or answer 429 RESOURCE_EXHAUSTED",
    )
    emu.add_argument("--max-queue", type=int, metavar="N", help="with --overflow queue: 429 beyond N waiting")
    emu.add_argument("--loop", choices=LOOPS, default="auto", help=LOOP_HELP)
    emu.add_argument("--debug", action="store_true")
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
        raise UsageError(
            f"{where}: give the prompt as an argument, or pipe it in with - (e.g. "
            f"`echo Hi | genai-async {args.command} -`)"
        )
    return text


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
        out(_to_json(response) + "\n")
        return 0
    if args.thoughts and response.thoughts:
        out(dim(response.thoughts) + "\n\n")
    out((response.text or "") + "\n")
    note_empty(response)
    return 0


async def cmd_stream(args: argparse.Namespace) -> int:
    prompt = prompt_of(args)
    async with open_client(args) as client:
        stream = client.models.generate_content_stream(
            model=args.model, contents=contents_of(prompt, args.file), config=generate_config(args)
        )
        if args.json:
            async with stream:
                async for chunk in stream:
                    out(json.dumps(json.loads(encode(chunk)), ensure_ascii=False) + "\n")
            return 0
        await stream_answer(stream, args.thoughts)
    return 0


async def cmd_demo(args: argparse.Namespace) -> int:
    from ..emulator import running

    prompt = prompt_of(args)
    async with running(time_to_first_chunk=0.35, tokens_per_second=90) as emu:
        async with Client(api_key=EMULATOR_KEY, base_url=emu.base_url) as client:
            out(dim(f"genai-async {__version__} demo: streaming from the embedded emulator at {emu.base_url}\n"))
            out(f"> {prompt}\n\n")
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
                    out(chunk.text or "")
            elapsed = time.perf_counter() - start
    usage = stream.response.usage_metadata
    out_tokens = (usage.candidates_token_count or 0) if usage else 0
    rate = out_tokens / (elapsed - (first or 0.0)) if elapsed > (first or 0.0) else 0.0
    out("\n\n" + dim("-" * 60) + "\n")
    out(f"time to first token  {1000 * (first or 0.0):8.0f} ms\n")
    out(f"output tokens        {out_tokens:8d}   ({rate:.0f} tokens/s over {chunks} chunks)\n")
    if usage:
        out(
            f"usage                prompt {usage.prompt_token_count}, thoughts {usage.thoughts_token_count or 0}, "
            f"total {usage.total_token_count}\n"
        )
    out(dim('Set GEMINI_API_KEY and run `genai-async stream "..."` to talk to the real API.\n'))
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from ..emulator import serve_forever

    if (args.record is None) != (args.upstream is None):
        raise UsageError("--record DIR and --upstream URL go together")
    if args.replay is not None and not pathlib.Path(args.replay).is_dir():
        raise UsageError(f"--replay {args.replay}: no such directory (record one with --record DIR --upstream URL)")
    if args.max_queue is not None and args.max_queue < 0:
        raise UsageError(f"--max-queue must be 0 or more, got {args.max_queue}")
    loop = resolve_loop(args.loop)
    served = serve_forever(
        args.host,
        args.port,
        seed=args.seed,
        time_to_first_chunk=args.time_to_first_chunk,
        tokens_per_second=args.tokens_per_second,
        api_key=args.api_key,
        strict=not args.lenient,
        record=args.record,
        upstream=args.upstream,
        replay=args.replay,
        max_concurrency=args.max_concurrency,
        overflow=args.overflow,
        max_queue=args.max_queue,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops: exit 0
        run_async(served, loop)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``genai-async``; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"generate": cmd_generate, "stream": cmd_stream, "demo": cmd_demo, "live": cmd_live}
    try:
        if args.command == "chat":
            from .repl import run_chat  # loads readline: only for the chat

            return run_chat(args)
        if args.command == "emulator":
            return cmd_emulator(args)
        if args.command == "bench":
            return run_bench(args)
        if args.command == "run":
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
        sys.stderr.write(f"genai-async: error: {one_line(exc)}\n")
        return 2 if isinstance(exc, UsageError) else 1
