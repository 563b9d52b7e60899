"""How closely the bench's measured pace follows the emulator's pace (moved here from the test suite).

The bench (``genai-async bench``) measures time to first token, time per output token and
inter-token latency against an emulator that paces its answers. On an idle machine the measured
figures should sit a few percent above the configured pace; on a busy one they drift upwards
(never below it, which ``tests/bench/test_load.py`` checks). A wall-clock comparison cannot be a
test on a shared machine, so it lives here:

    python benchmarks/bench_pace.py                          # about 2 s
    python benchmarks/bench_pace.py --ttft 0.2 --tps 100 --requests 30 --concurrency 3

It prints the configured and the measured figures and their ratio. On an idle machine every ratio
is within ~1.15 (mean TTFT and p50 TPOT / ITL; decode tokens/s above ~0.85); measured on the shared
2-core VM: TTFT 1.04, TPOT 1.14, ITL 1.08, decode 0.88.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genai_async._cli.bench.load import WorkerSpec, run_worker
from genai_async._cli.bench.metrics import Slo
from genai_async.emulator import running


async def measure(ttft: float, tps: float, requests: int, concurrency: int) -> list[tuple[str, float, float]]:
    async with running(time_to_first_chunk=ttft, tokens_per_second=tps, chunk_tokens=1) as emu:
        spec = WorkerSpec(
            worker=0,
            workers=1,
            base_url=emu.base_url,
            api_key="k",
            model="gemini-3.5-flash",
            prompts=["Explain how AI works", "Tell me about rivers"],
            thinking_level="minimal",
            cpu_clock="thread",
            concurrency=concurrency,
            requests=requests,
        )
        result = await run_worker(spec)
    summary = result.stats.summary(Slo())
    if summary["failed"]:
        raise SystemExit(f"{summary['failed']} requests failed: {summary['errors']}")
    decode = [((r.output_tokens or 0) - 1) / (r.end - (r.ttft or 0.0)) for r in result.records]
    token_ms = 1000.0 / tps
    return [
        ("TTFT mean (ms)", (ttft + 1 / tps) * 1000, summary["ttft_ms"]["mean"]),
        ("TPOT p50 (ms)", token_ms, summary["tpot_ms"]["p50"]),
        ("ITL p50 (ms)", token_ms, summary["itl_ms"]["p50"]),
        ("decode tokens/s (mean)", tps, statistics.mean(decode)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ttft", type=float, default=0.2, help="emulator time to first chunk, seconds")
    parser.add_argument("--tps", type=float, default=100.0, help="emulator tokens per second")
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=3)
    args = parser.parse_args()
    rows = asyncio.run(measure(args.ttft, args.tps, args.requests, args.concurrency))
    print(f"{'figure':<24}{'configured':>12}{'measured':>12}{'ratio':>8}")
    for name, configured, measured in rows:
        print(f"{name:<24}{configured:>12.2f}{measured:>12.2f}{measured / configured:>8.3f}")


if __name__ == "__main__":
    main()
