"""What a hostile body of short junk lines costs the SSE decoder: memory held and CPU (issue 15, item 7).

Feeds N MiB of one junk line (``a:`` is an unknown field, ``ab`` a line with no colon) in 64 KiB
reads to one ``SSEDecoder`` and reports the bytes it still holds (tracemalloc, in a separate pass)
and the CPU time of the feeding (time.process_time, without tracemalloc). Before issue 15 every such
line was kept as a Python string (about 20x its size); now only the first 64 KiB / 1,024 lines are.
The client's own streams stop after 1 MiB of such lines (``MAX_EXTRA``); the decoder's default cap
is ``max_event_size`` (32 MiB).

Usage: python benchmarks/sse_junk.py [--mib 8]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from genai_async.sse import SSEDecoder

READ = 64 * 1024


def feed(body: bytes) -> SSEDecoder:
    decoder = SSEDecoder()
    for i in range(0, len(body), READ):
        decoder.feed(body[i : i + READ])
    return decoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=8, help="MiB of junk lines per case (default 8)")
    args = parser.parse_args()
    for line in (b"a:\n", b"ab\n"):
        body = line * ((args.mib * 1024 * 1024) // len(line))
        start = time.process_time()
        feed(body)
        cpu = time.process_time() - start
        tracemalloc.start()
        decoder = feed(body)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(
            f"{line!r:8} {args.mib} MiB ({len(body) // len(line):,} lines): held {held / 1024:,.0f} KiB, "
            f"kept {len(decoder.extra_lines):,} lines, cpu {cpu:.2f} s"
        )


if __name__ == "__main__":
    main()
