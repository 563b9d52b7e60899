"""Measure the SSE decoder (genai_async.sse), then the whole per-chunk path without the network.

Five cases, each timed with time.perf_counter over several repeats (best and median shown):

(a) throughput: every tests/fixtures/*.sse stream concatenated, repeated --copies times, and fed to one
    decoder in 4 KiB reads (what aiohttp typically hands over);
(b) throughput: one 1 MiB single-line `data:` event fed in 64 KiB reads (no 64 KiB line limit), and
    one 8 MiB event (a generated image's base64) in 1,460-byte reads, a TCP segment each: a decoder
    that rescans or recopies the line so far on every read is quadratic here;
(c) per-event cost: a typical ~300-byte Gemini chunk `data: {json}\\r\\n\\r\\n`, fed one event per
    feed(), as it arrives from a live stream. The "floor" row is what any decoder must do (slice the
    JSON out and decode it as UTF-8), so the difference between the rows is the decoder's overhead.

(d) as (c) plus the msgspec decode of each event straight into types.GenerateContentResponse (the
    issue's "decoder plus msgspec decode of a typical 300-byte chunk" figure; target < 5 µs);
(e) as (d) plus stitching each chunk into the final response (genai_async._accumulate).

Usage: python benchmarks/bench_sse.py [--repeats 7] [--copies 200] [--events 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from genai_async._accumulate import Accumulator
from genai_async.sse import ServerSentEvent, SSEDecoder
from genai_async.types import GenerateContentResponse

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
KIB = 1024
MIB = 1024 * KIB


def chunked(body: bytes, size: int) -> list[bytes]:
    """Split ``body`` into reads of ``size`` bytes, as a socket would deliver them."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def timings(run: Callable[[], object], repeats: int) -> list[float]:
    """Seconds taken by each of ``repeats`` calls of ``run`` (after one warm-up call)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def decode_all(chunks: list[bytes]) -> int:
    """Feed ``chunks`` to a fresh decoder; return the number of events (so the work can't be skipped)."""
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    decoder.close()
    return count


def bench_throughput(chunks: list[bytes], repeats: int) -> tuple[float, float]:
    """Best and median MB/s (10**6 bytes per second) for decoding ``chunks`` from a fresh decoder."""
    total = sum(map(len, chunks))
    times = timings(lambda: decode_all(chunks), repeats)
    return total / min(times) / 1e6, total / statistics.median(times) / 1e6


def bench_events(
    event: bytes,
    count: int,
    repeats: int,
    on_event: Callable[[ServerSentEvent], object] | None = None,
) -> tuple[float, float]:
    """Best and median µs per event when ``event`` is fed ``count`` times, one event per feed().

    ``on_event``, if given, is called with each decoded event inside the timed loop (for instance a
    msgspec decode of ``event.data``), so its cost shows up in the row.
    """

    def run() -> None:
        feed = SSEDecoder().feed
        if on_event is None:
            for _ in range(count):
                feed(event)
        else:
            for _ in range(count):
                for decoded in feed(event):
                    on_event(decoded)

    times = timings(run, repeats)
    return min(times) / count * 1e6, statistics.median(times) / count * 1e6


def bench_floor(event: bytes, count: int, repeats: int) -> tuple[float, float]:
    """Best and median µs for the unavoidable part of case (c): slicing out the JSON and decoding it."""

    def run() -> None:
        for _ in range(count):
            event[6:-4].decode("utf-8")

    times = timings(run, repeats)
    return min(times) / count * 1e6, statistics.median(times) / count * 1e6


def typical_event(streams: list[bytes]) -> bytes:
    """The fixture event whose size is closest to 300 bytes, with its `\\r\\n\\r\\n` framing."""
    events = [part + b"\r\n\r\n" for body in streams for part in body.split(b"\r\n\r\n") if part]
    events = [e for e in events if e.startswith(b"data: ")]
    return min(events, key=lambda e: abs(len(e) - 300))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case (default 7)")
    parser.add_argument("--copies", type=int, default=200, help="fixture streams repeated (default 200)")
    parser.add_argument("--events", type=int, default=20000, help="events per run in case (c)")
    args = parser.parse_args()

    streams = [path.read_bytes() for path in sorted(FIXTURES.glob("*.sse"))]
    corpus = b"".join(streams) * args.copies
    big_event = b"data: {" + b'"text": "' + b"x" * (MIB - 20) + b'"}\r\n\r\n'
    event = typical_event(streams)

    rows: list[tuple[str, str, float, float]] = []
    best, median = bench_throughput(chunked(corpus, 4 * KIB), args.repeats)
    name = f"(a) fixtures x{args.copies} ({len(corpus) / MIB:.1f} MiB), 4 KiB reads"
    rows.append((name, "MB/s", best, median))
    best, median = bench_throughput(chunked(big_event, 64 * KIB), args.repeats)
    rows.append(("(b) one 1 MiB single-line event, 64 KiB reads", "MB/s", best, median))
    image_event = b'data: {"data": "' + b"A" * (8 * MIB - 20) + b'"}\r\n\r\n'
    best, median = bench_throughput(chunked(image_event, 1460), args.repeats)
    rows.append(("    one 8 MiB single-line event, 1,460-byte reads", "MB/s", best, median))
    best, median = bench_events(event, args.events, args.repeats)
    rows.append((f"(c) {len(event)}-byte event, one per feed()", "µs/event", best, median))
    best, median = bench_floor(event, args.events, args.repeats)
    rows.append(("    floor: slice + UTF-8 decode of the JSON", "µs/event", best, median))
    chunk_decoder = msgspec.json.Decoder(GenerateContentResponse)
    best, median = bench_events(event, args.events, args.repeats, lambda ev: chunk_decoder.decode(ev.data))
    rows.append(("(d) (c) + msgspec decode to GenerateContentResponse", "µs/chunk", best, median))
    acc = Accumulator()

    def decode_and_stitch(ev: ServerSentEvent) -> None:
        acc.add(chunk_decoder.decode(ev.data))

    best, median = bench_events(event, args.events, args.repeats, decode_and_stitch)
    rows.append(("(e) (d) + stitching (Accumulator.add)", "µs/chunk", best, median))

    width = max(len(row[0]) for row in rows)
    print(f"{'case':<{width}}  {'unit':<8}  {'best':>9}  {'median':>9}")
    for name, unit, best, median in rows:
        print(f"{name:<{width}}  {unit:<8}  {best:>9.2f}  {median:>9.2f}")


if __name__ == "__main__":
    main()
