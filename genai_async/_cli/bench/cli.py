"""``genai-async bench``: the argparse front of the load tester, and ``bench compare``.

:func:`add_bench_parser` adds the subcommand to the main parser; :func:`run_bench` turns the
parsed options into a :class:`~genai_async._cli.bench.config.BenchConfig`, runs it (one run or a
sweep), prints the summary on stdout and writes ``--output`` / ``--plots``. Mistakes in the
options raise the CLI's ``UsageError`` (one line, exit code 2). Retries are off unless ``--retry``:
a retried request would hide the failure and fold the backoff into its latency.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from ..._bulk._ray import RayUnavailable
from ..._options import check_base_url, env_api_key, is_loopback
from ..._progress import ProgressBar
from ...errors import ConfigurationError
from ..common import DEFAULT_MODEL, EMULATOR_KEY, UsageError, cli_words
from . import report, runner, sweep
from .config import BenchConfig
from .metrics import Slo
from .prompts import PromptError, load_prompts, synthetic_prompts

DEFAULT_REQUESTS = 100
DEFAULT_INPUT_TOKENS = 128
DEFAULT_EMULATOR_CAPACITY = 16
_SYNTHETIC_POOL = 1024


def add_bench_parser(sub: Any) -> None:
    """Add ``bench`` (and its nested ``bench compare``) to the CLI's subparsers."""
    p = sub.add_parser(
        "bench",
        help="load-test Gemini or the emulator: latency percentiles, throughput, goodput",
        description="Measure TTFT, inter-chunk latency, TPOT, end-to-end latency, throughput and "
        "goodput under a fixed concurrency, a request rate, or a sweep. Retries are off unless "
        "--retry. With no API key the embedded emulator is benchmarked.",
    )
    t = p.add_argument_group("target")
    t.add_argument("--model", default=DEFAULT_MODEL, metavar="NAME", help=f"model id (default {DEFAULT_MODEL})")
    t.add_argument("--base-url", metavar="URL", help="send requests to this server instead of Google's")
    t.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow a plain-http --base-url on another host (the key travels unencrypted)",
    )
    t.add_argument("--emulator", action="store_true", help="benchmark the embedded emulator (default with no key)")
    t.add_argument(
        "--emulator-ttft",
        type=float,
        default=0.2,
        metavar="S",
        help="emulator delay before the first chunk, seconds (default 0.2)",
    )
    t.add_argument(
        "--emulator-tps",
        type=float,
        default=100.0,
        metavar="N",
        help="emulator output pace, tokens/s (default 100; 0 = unpaced)",
    )
    t.add_argument("--emulator-chunk-tokens", type=int, default=8, metavar="N", help="emulator tokens per chunk")
    t.add_argument(
        "--emulator-max-concurrency",
        type=int,
        default=DEFAULT_EMULATOR_CAPACITY,
        metavar="N",
        help="emulator capacity: N generating requests at once, each slower as they add up, the rest "
        f"queued (default {DEFAULT_EMULATOR_CAPACITY}; 0 = unlimited)",
    )
    t.add_argument(
        "--emulator-overflow",
        choices=["queue", "reject"],
        default="queue",
        help="beyond the emulator's capacity: wait in line (default) or 429",
    )
    i = p.add_argument_group("requests")
    i.add_argument(
        "--prompts", metavar="FILE", help='prompts: .jsonl with {"prompt": ...} per line, or text, one per line'
    )
    i.add_argument(
        "--input-tokens", type=int, metavar="MEAN", help=f"synthetic prompt length (default {DEFAULT_INPUT_TOKENS})"
    )
    i.add_argument("--input-tokens-stddev", type=float, default=0.0, metavar="SD", help="spread of that length")
    i.add_argument("--seed", type=int, metavar="N", default=0, help="seed of synthetic prompts and Poisson arrivals")
    i.add_argument("--max-tokens", type=int, metavar="N", help="max output tokens")
    i.add_argument("--stream", action=argparse.BooleanOptionalAction, default=True, help="stream (default) or unary")
    i.add_argument("--thinking-level", choices=["minimal", "low", "medium", "high"], help="thinking level")
    load = p.add_argument_group("load")
    load.add_argument(
        "--concurrency", type=int, metavar="N", help="requests in flight (closed loop; default 1); with --rate a cap"
    )
    load.add_argument("--rate", type=float, metavar="R", help="requests per second (open loop)")
    load.add_argument("--arrivals", choices=["poisson", "constant"], default="poisson", help="arrivals with --rate")
    load.add_argument(
        "--burstiness",
        type=float,
        default=1.0,
        metavar="F",
        help="with --rate: gaps between "
        "arrivals are gamma-distributed with shape F, as in vLLM (1 = Poisson, below 1 burstier, above "
        "1 steadier)",
    )
    load.add_argument("--requests", type=int, metavar="N", help=f"measured requests (default {DEFAULT_REQUESTS})")
    load.add_argument("--duration", type=float, metavar="S", help="measure for S seconds instead of --requests")
    load.add_argument(
        "--warmup",
        default="0",
        metavar="N|Ss",
        help="warm-up excluded from results: N requests or S seconds (e.g. 10 or 5s)",
    )
    load.add_argument("--sweep", action="store_true", help="raise the load step by step and report the knee")
    load.add_argument(
        "--sweep-factor", type=float, metavar="F", default=2.0, help="load multiplier per step (default 2)"
    )
    load.add_argument("--sweep-steps", type=int, metavar="N", default=6, help="most steps (default 6)")
    load.add_argument(
        "--sweep-min-gain", type=float, metavar="SHARE", default=0.10, help="throughput gain a step must bring (0.10)"
    )
    load.add_argument(
        "--sweep-max-errors", type=float, metavar="SHARE", default=0.05, help="failed share that stops it (0.05)"
    )
    load.add_argument(
        "--sweep-min-goodput", type=float, metavar="SHARE", default=0.90, help="SLO-met share below which it stops"
    )
    slo = p.add_argument_group("goodput (SLOs, milliseconds)")
    slo.add_argument("--slo-ttft", type=float, metavar="MS")
    slo.add_argument("--slo-tpot", type=float, metavar="MS")
    slo.add_argument("--slo-e2e", type=float, metavar="MS")
    w = p.add_argument_group("workers and client limits")
    w.add_argument(
        "--processes", type=int, metavar="N", default=1, help="workers: one event loop per process (or Ray task)"
    )
    w.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run workers as Ray tasks (ADDRESS: auto, ray://host:10001; none: RAY_ADDRESS or a local Ray)",
    )
    w.add_argument("--ray-runtime-env", metavar="JSON", help='Ray runtime_env, e.g. {"pip": ["genai-async"]}')
    w.add_argument("--max-in-flight", type=int, metavar="N", help="client limit: requests at once (split over workers)")
    w.add_argument("--rpm", type=float, metavar="N", help="client limit: requests per minute (split over workers)")
    w.add_argument("--tpm", type=float, metavar="N", help="client limit: tokens per minute (split over workers)")
    w.add_argument("--retry", action=argparse.BooleanOptionalAction, default=False, help="retry failures (default off)")
    w.add_argument("--timeout", type=float, metavar="S", help="longest silence allowed, in seconds")
    o = p.add_argument_group("output")
    o.add_argument(
        "--percentiles",
        default="50,90,95,99",
        metavar="LIST",
        help="latency percentiles to report, e.g. 50,90,99.9 (default 50,90,95,99; p50 and p99 are always "
        "kept for the sweep table and plots)",
    )
    o.add_argument("--output", metavar="FILE", help="write every request's timings, the config and summary as JSON")
    o.add_argument("--plots", metavar="DIR", help="write PNG plots (needs matplotlib: the 'plot' extra)")
    o.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="live progress on stderr (default: when it is a terminal)",
    )
    o.add_argument("--debug", action="store_true", help="show tracebacks")
    nested = p.add_subparsers(dest="bench_command", metavar="{compare}")
    cmp = nested.add_parser("compare", help="two --output files side by side with deltas")
    cmp.add_argument("a", metavar="A.json")
    cmp.add_argument("b", metavar="B.json")
    cmp.add_argument("--debug", action="store_true", help="show tracebacks")


def _warmup(text: str) -> tuple[int, float]:
    try:
        if text.endswith("s"):
            seconds = float(text[:-1])
            if seconds >= 0 and math.isfinite(seconds):
                return 0, seconds
        elif int(text) >= 0:
            return int(text), 0.0
    except ValueError:
        pass
    raise UsageError(f"--warmup {text}: give a number of requests (10) or of seconds (5s)")


def _percentiles(text: str) -> tuple[float, ...]:
    try:
        values = tuple(sorted({float(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        values = ()
    if not values or not all(0 < q <= 100 for q in values):
        raise UsageError(
            f"--percentiles {text}: give numbers above 0 and up to 100, separated by commas (e.g. 50,90,99.9)"
        )
    return values


def _positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {value}")


def _target(args: argparse.Namespace) -> tuple[bool, str | None, str]:
    """(emulator?, base URL, key): the real API with a key, else the emulator."""
    key = env_api_key()
    if args.emulator and args.base_url:
        raise UsageError("--emulator and --base-url exclude each other")
    if args.emulator or (not key and not args.base_url):
        if not args.emulator:
            sys.stderr.write("genai-async bench: no API key set; benchmarking the embedded emulator (--emulator)\n")
        return True, None, EMULATOR_KEY
    if args.base_url:
        try:
            check_base_url(args.base_url, allow_insecure_http=args.insecure_http)
        except ConfigurationError as exc:
            raise UsageError(cli_words(str(exc))) from exc
    if args.base_url and not key:
        if not is_loopback(args.base_url):
            raise UsageError("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) for a non-local --base-url")
        key = EMULATOR_KEY
    return False, args.base_url, key or ""


def _prompts(args: argparse.Namespace, count: int) -> tuple[list[str], str]:
    try:
        if args.prompts:
            if args.input_tokens is not None:
                raise UsageError("--prompts and --input-tokens exclude each other")
            prompts = load_prompts(args.prompts)
            return prompts, f"{args.prompts} ({len(prompts)})"
        mean = args.input_tokens if args.input_tokens is not None else DEFAULT_INPUT_TOKENS
        prompts = synthetic_prompts(count, mean, args.input_tokens_stddev, args.seed)
        spread = f" ± {args.input_tokens_stddev:g}" if args.input_tokens_stddev else ""
        return prompts, f"synthetic, {mean}{spread} words, seed {args.seed}"
    except PromptError as exc:
        raise UsageError(str(exc)) from exc


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Validate the options and resolve them into a :class:`BenchConfig`."""
    _positive(
        args,
        "concurrency",
        "rate",
        "requests",
        "duration",
        "processes",
        "max_in_flight",
        "rpm",
        "tpm",
        "timeout",
        "max_tokens",
        "slo_ttft",
        "slo_tpot",
        "slo_e2e",
        "emulator_chunk_tokens",
        "sweep_steps",
    )
    if args.requests is not None and args.duration is not None:
        raise UsageError("--requests and --duration exclude each other")
    percentiles = _percentiles(args.percentiles)
    if not args.burstiness > 0 or not math.isfinite(args.burstiness):
        raise UsageError(f"--burstiness must be positive, got {args.burstiness}")
    if args.burstiness != 1.0 and (not args.rate or args.arrivals != "poisson"):
        raise UsageError("--burstiness shapes random arrivals: it needs --rate (and not --arrivals constant)")
    if args.sweep_factor <= 1:
        raise UsageError("--sweep-factor must be above 1")
    if args.emulator_ttft < 0 or args.emulator_tps < 0 or args.emulator_max_concurrency < 0:
        raise UsageError("--emulator-ttft, --emulator-tps and --emulator-max-concurrency cannot be negative")
    requests = args.requests if args.requests is not None or args.duration is not None else DEFAULT_REQUESTS
    concurrency = args.concurrency if args.concurrency is not None or args.rate else 1
    concurrency_sweep = args.sweep and not args.rate  # its steps start at --processes
    if concurrency is not None and concurrency < args.processes and not concurrency_sweep:
        raise UsageError(f"--concurrency {concurrency} is below --processes {args.processes}: each worker needs one")
    if requests is not None and requests < args.processes:
        raise UsageError(f"--requests {requests} is below --processes {args.processes}")
    first = max(concurrency or 1, args.processes) if concurrency_sweep else concurrency
    if requests is not None and first is not None and not args.rate and requests < first:
        raise UsageError(
            f"--requests {requests} cannot keep --concurrency {first} busy (at most {requests} requests "
            "are ever in flight); raise --requests, several times the concurrency for steady numbers"
        )
    if args.max_in_flight is not None and args.max_in_flight < args.processes:
        raise UsageError(
            f"--max-in-flight {args.max_in_flight} is below --processes {args.processes}: "
            "each worker needs at least one slot"
        )
    warm_requests, warm_seconds = _warmup(args.warmup)
    emulator, base_url, key = _target(args)
    count = min(_SYNTHETIC_POOL, (requests or _SYNTHETIC_POOL) + warm_requests)
    prompts, source = _prompts(args, count)
    try:
        runtime_env = json.loads(args.ray_runtime_env) if args.ray_runtime_env else None
    except ValueError as exc:
        raise UsageError(f"--ray-runtime-env is not JSON: {exc}") from exc
    return BenchConfig(
        model=args.model,
        prompts=prompts,
        prompt_source=source,
        api_key=key,
        base_url=base_url,
        emulator=emulator,
        emulator_ttft=args.emulator_ttft,
        emulator_tps=args.emulator_tps or None,
        emulator_chunk_tokens=args.emulator_chunk_tokens,
        emulator_overflow=args.emulator_overflow,
        emulator_max_concurrency=args.emulator_max_concurrency or None,
        stream=args.stream,
        max_tokens=args.max_tokens,
        thinking_level=args.thinking_level,
        concurrency=concurrency,
        rate=args.rate,
        arrivals=args.arrivals,
        burstiness=args.burstiness,
        percentiles=percentiles,
        requests=requests,
        duration=args.duration,
        warmup_requests=warm_requests,
        warmup_seconds=warm_seconds,
        seed=args.seed,
        sweep=args.sweep,
        sweep_factor=args.sweep_factor,
        sweep_steps=args.sweep_steps,
        sweep_min_gain=args.sweep_min_gain,
        sweep_max_errors=args.sweep_max_errors,
        sweep_min_goodput=args.sweep_min_goodput,
        slo=Slo(_ms(args.slo_ttft), _ms(args.slo_tpot), _ms(args.slo_e2e)),
        processes=args.processes,
        ray=args.ray is not None,
        ray_address=args.ray or None,
        ray_runtime_env=runtime_env,
        max_in_flight=args.max_in_flight,
        rpm=args.rpm,
        tpm=args.tpm,
        retry=args.retry,
        timeout=args.timeout,
        insecure_http=args.insecure_http,
    )


def _ms(value: float | None) -> float | None:
    return None if value is None else value / 1000.0


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _compare(args: argparse.Namespace) -> int:
    try:
        a, b = report.load_run(args.a), report.load_run(args.b)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    _out(report.compare(a, b, (args.a, args.b)))
    return 0


def run_bench(args: argparse.Namespace) -> int:
    """Run ``genai-async bench`` (or ``bench compare``); returns the exit code."""
    if getattr(args, "bench_command", None) == "compare":
        return _compare(args)
    cfg = config_from_args(args)
    if cfg.ray and cfg.emulator and cfg.ray_address:
        sys.stderr.write(
            "genai-async bench: the emulator listens on 127.0.0.1 here; Ray tasks on other nodes "
            "cannot reach it (use --base-url with a reachable server)\n"
        )
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        with runner.target(cfg) as (base_url, shared):
            _out(report.header(cfg, base_url))

            def step(concurrency: int | None, rate: float | None) -> runner.StepResult:
                label = f"{rate:g} req/s" if rate else f"concurrency {concurrency}"
                bar = ProgressBar(sys.stderr, label=label, total=cfg.requests, duration=cfg.duration, enabled=show)
                try:
                    return runner.run_step(
                        cfg, base_url, concurrency=concurrency, rate=rate, report=bar.update, shared_process=shared
                    )
                finally:
                    bar.close()

            if cfg.sweep:
                steps, verdicts, knee, stopped = sweep.run_sweep(cfg, step, _said)
                doc = report.document(cfg, base_url, steps, verdicts, knee, stopped)
                _out(report.sweep_table(steps, verdicts, knee, stopped))
                shown = steps[knee] if knee is not None else steps[-1]
                _out(f"\nstep {steps.index(shown) + 1} in detail:\n")
            else:
                steps, knee = [step(cfg.concurrency, cfg.rate)], 0
                doc = report.document(cfg, base_url, steps)
                shown = steps[0]
    except RayUnavailable as exc:
        raise UsageError(str(exc)) from exc
    except runner.WorkerFailed as exc:
        if args.debug:
            raise
        sys.stderr.write(f"genai-async bench: {exc}\n")
        return 1
    _out(report.summary_table(shown))
    for warning in (
        report.cpu_warning(shown.summary),
        report.overlap_warning(shown.summary),
        report.host_warning(shown.summary, cfg.processes),
    ):
        if warning:
            sys.stderr.write(warning)
    return _finish(args, cfg, doc, steps, knee, shown)


def _said(step: runner.StepResult, verdict: str) -> None:
    s = step.summary
    sys.stderr.write(
        f"sweep: {step.load}: {s['output_tokens_per_s']:,.0f} output tokens/s, "
        f"{s['requests_per_s']:.2f} req/s, {s['failed']}/{s['requests']} failed: {verdict}\n"
    )


def _finish(
    args: argparse.Namespace,
    cfg: BenchConfig,
    doc: dict[str, Any],
    steps: list[runner.StepResult],
    knee: int | None,
    shown: runner.StepResult,
) -> int:
    if args.output:
        report.write_json(args.output, doc)
        _out(f"wrote {args.output}\n")
    if args.plots:
        from .plots import PlotsUnavailable, write_plots

        try:
            paths = write_plots(args.plots, steps, knee, sweep=cfg.sweep, slo=cfg.slo)
            _out("wrote " + ", ".join(str(p) for p in paths) + "\n")
        except PlotsUnavailable as exc:
            sys.stderr.write(f"genai-async bench: {exc}\n")
    if shown.summary["requests"] and not shown.summary["completed"]:
        sys.stderr.write("genai-async bench: every request failed; see the errors above\n")
        return 1
    return 0
