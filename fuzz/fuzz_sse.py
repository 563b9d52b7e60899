"""Fuzz target: the SSE decoder (genai_async.sse) on any bytes, fed in any chunks.

    python fuzz/fuzz_sse.py -runs=20000 -dict=fuzz/sse.dict

Input layout: byte 0 picks the size cap (a small one, so the cap paths run, or the 32 MiB
default), bytes 1-4 seed how the rest is cut into reads. Checked for every input:

- only ``SSEError`` ever escapes the decoder (anything else crashes the run);
- random reads, and one-byte reads, give exactly what one read of the whole body gives: the same
  events, extra lines, unterminated event and last event id, or an SSEError in every case (the
  decoder promises that chunking never changes the outcome, the size cap included).
"""

from __future__ import annotations

import random

from _driver import instrumented, main

with instrumented():
    from genai_async.sse import SSEDecoder, SSEError

TOKENS = [
    b"data", b"data:", b"data: ", b"event: ", b"id: ", b"id:\x00", b"retry: ", b"retry: 12", b":", b": c",
    b" ", b"x", b"{}", b'{"a": 1}', b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"\xef\xbb\xbf", b"\xef",
    b"\xe2\x80\xa8", b"\xc3", b"\xa9", b"\xff", b"\x00", b"0", b"99999999999999999999999",
]  # fmt: skip


def decode(body: bytes, cuts: list[int], cap: int) -> tuple[object, ...]:
    decoder = SSEDecoder(max_event_size=cap)
    events = []
    try:
        start = 0
        for end in [*cuts, len(body)]:
            events += decoder.feed(body[start:end])
            start = end
        events += decoder.close()
    except SSEError:
        return ("SSEError",)
    return (events, decoder.extra_lines, decoder.unterminated, decoder.last_event_id)


def test_one_input(data: bytes) -> None:
    if len(data) < 5:
        return
    cap = 1 + data[0] % 48 if data[0] < 192 else 32 * 1024 * 1024
    body = data[5:]
    rng = random.Random(int.from_bytes(data[1:5], "little"))
    cuts = sorted(rng.sample(range(len(body) + 1), min(len(body) + 1, rng.randint(0, 16))))
    whole = decode(body, [], cap)
    chunked = decode(body, cuts, cap)
    assert chunked == whole, f"chunking changed the outcome: cuts={cuts} cap={cap}\n{whole!r}\n{chunked!r}"
    one_byte = decode(body, list(range(1, len(body))), cap)
    assert one_byte == whole, f"one-byte reads changed the outcome: cap={cap}\n{whole!r}\n{one_byte!r}"


if __name__ == "__main__":
    main(test_one_input, TOKENS)
