"""``genai-async run``: the bulk runner on the command line (online API, ``--batch-api`` or ``--ray``).

Exit codes: 0 when every key of the output holds a response, 1 when some hold an error (the
summary says which kinds), 2 for a usage mistake. Interrupt it (Ctrl-C, ``kill -9``) at any point
and run the same command again: it resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from .._bulk._run import RunSummary
from .._options import env_api_key, is_loopback
from .common import DEFAULT_MODEL, EMULATOR_KEY, LOOP_HELP, LOOPS, UsageError, resolve_loop, run_async


def add_run_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run a JSONL file of prompts and keep every result (resumable)")
    p.add_argument("input", help='JSONL: one request per line ({"prompt": ...} or {"contents", "config"})')
    p.add_argument("--output", "-o", required=True, help="JSONL results; appended, and read back to resume")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight at most (default 32)")
    p.add_argument("--rpm", type=float, help="requests per minute at most (the client's limit)")
    p.add_argument("--tpm", type=float, help="tokens per minute at most (estimated from the request size)")
    p.add_argument("--base-url", help="send requests to this server instead of Google's")
    p.add_argument("--emulator", action="store_true", help="start the local emulator and use it (no key needed)")
    p.add_argument("--timeout", type=float, help="longest silence allowed per request, in seconds")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="draw the progress line (default: when stderr is a terminal)",
    )
    p.add_argument("--price-input", type=float, help="price per 1M input tokens, for the cost estimate")
    p.add_argument("--price-output", type=float, help="price per 1M output tokens, for the cost estimate")
    p.add_argument(
        "--retry-failed", action="store_true", help="drop the error lines from --output first, so those keys run again"
    )
    p.add_argument("--batch-api", action="store_true", help="send the input through the Batch API instead")
    p.add_argument("--poll", type=float, default=30.0, help="--batch-api: seconds between status polls")
    p.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help="shard the input over a Ray cluster (ray.init address; default auto)",
    )
    p.add_argument("--ray-workers", type=int, default=4, help="--ray: worker actors (default 4)")
    p.add_argument("--loop", choices=LOOPS, default="auto", help=LOOP_HELP)
    p.add_argument("--debug", action="store_true")


def _check(args: argparse.Namespace) -> None:
    if not os.path.isfile(args.input):
        raise UsageError(f"{args.input}: no such input file")
    if os.path.abspath(args.input) == os.path.abspath(args.output):
        raise UsageError("--output must not be the input file")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.ray_workers < 1:
        raise UsageError("--ray-workers must be at least 1")
    if args.batch_api and args.ray:
        raise UsageError("choose one of --batch-api and --ray")


@contextlib.asynccontextmanager
async def target(args: argparse.Namespace) -> AsyncIterator[tuple[str | None, str]]:
    """``(api_key, base_url)`` of the real API, ``--base-url`` or an in-process emulator."""
    if args.emulator:
        from ..emulator import running

        async with running() as emu:
            yield EMULATOR_KEY, emu.base_url
        return
    key = env_api_key()
    base = args.base_url
    if base and not key and is_loopback(base):
        key = EMULATOR_KEY
    if not key:
        raise UsageError("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or use --emulator to run offline")
    yield key, base or ""


async def _run(args: argparse.Namespace) -> RunSummary:
    from .. import bulk
    from .._bulk._input import count_lines

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    async with target(args) as (key, base):
        base_url = base or None
        if args.ray:
            from .._bulk._ray import RayUnavailable, import_ray, run_on_ray

            try:
                import_ray()  # before anything starts: a missing Ray is a usage error, as in `bench --ray`
            except RayUnavailable as exc:
                raise UsageError(str(exc)) from exc
            return await asyncio.to_thread(
                run_on_ray,
                args.input,
                args.output,
                address=args.ray,
                workers=args.ray_workers,
                model=args.model,
                api_key=key,
                base_url=base_url,
                concurrency=args.concurrency,
                rpm=args.rpm,
                tpm=args.tpm,
                progress=progress,
                total=count_lines(args.input) if progress else None,
                timeout=args.timeout,
                retry_failed=args.retry_failed,
            )
        async with bulk.runner_client(
            None,
            concurrency=args.concurrency,
            api_key=key,
            base_url=base_url,
            requests_per_minute=args.rpm,
            tokens_per_minute=args.tpm,
            timeout=args.timeout,
        ) as client:
            if args.batch_api:
                from .._bulk._batchmode import run_batch

                return await run_batch(
                    args.input,
                    args.output,
                    client=client,
                    model=args.model,
                    poll=args.poll,
                    progress=progress,
                    retry_failed=args.retry_failed,
                )
            total = count_lines(args.input) if progress else None
            from .._bulk._input import from_path
            from .._bulk._run import run_to_file

            return await run_to_file(
                from_path(args.input),
                args.output,
                client=client,
                model=args.model,
                concurrency=args.concurrency,
                total=total,
                progress=progress,
                retry_failed=args.retry_failed,
            )


def run_command(args: argparse.Namespace) -> int:
    _check(args)
    loop = resolve_loop(args.loop)
    summary = run_async(_run(args), loop)
    sys.stdout.write(summary.text(args.price_input, args.price_output) + "\n")
    sys.stdout.flush()
    return 1 if summary.failed_total else 0
