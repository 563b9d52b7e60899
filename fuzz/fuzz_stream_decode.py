"""Fuzz target: the chunk path of a stream (SSE decoder -> msgspec decode -> Accumulator -> errors).

    python fuzz/fuzz_stream_decode.py -runs=20000 -dict=fuzz/sse.dict

It drives the real ``ResponseStream`` over a fake response whose reads return the fuzzed body in
pieces. No event loop is needed: nothing on this path waits for anything real (no retry, no
continuation), so the coroutines are stepped by hand, which keeps each input fast.

Input layout: byte 0 chooses the body (even: the raw bytes; odd: each byte picks a token, from
whole valid events and error envelopes down to single quotes and line ends, so the JSON paths are
reached), bytes 1-4 seed how the body is cut into reads. Checked for every input:

- only typed errors leave the stream: ``StreamError`` or ``APIError`` (the brief also allows
  ``SSEError`` and msgspec errors; the stream wraps those, so they count as findings here);
- the stream ends the response exactly once: released when it completed, closed when it failed,
  and it stays ended (a further ``__anext__`` stops);
- an error after chunks were yielded carries them on ``.partial``; a completed stream yielded at
  least one chunk;
- cutting the body into other reads changes nothing: same chunks, same error and message.

Strict by default. ``FUZZ_STRICT=0`` tolerates three bugs this target found and that are now fixed
(each has a test in tests/faults/): an event holding ``"error"`` that is not valid JSON escaping as a
msgspec error; an in-band error whose ``code`` is not a number escaping as ValueError/TypeError; and
events of the last read still yielded after an error or ``aclose()``.
"""

from __future__ import annotations

import os
import random
import traceback
from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any

from _driver import instrumented, main

with instrumented():
    import msgspec

    from genai_async._streaming import ResponseStream
    from genai_async.errors import APIError, StreamError

STRICT = os.environ.get("FUZZ_STRICT", "1") == "1"
TOKENS = [
    b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi "}]},"index":0}],'
    b'"responseId":"r"}\r\n\r\n',
    b'data: {"candidates":[{"content":{"parts":[{"text":"there"}]},"finishReason":"STOP","index":0}],'
    b'"responseId":"r","usageMetadata":{"totalTokenCount":5}}\r\n\r\n',
    b'data: {"candidates":[{"content":{"parts":[{"text":"hmm","thought":true,"thoughtSignature":"AAEC"}]}}]}\n\n',
    b'data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"error":1}}}]},'
    b'"index":1}]}\r\n\r\n',
    b'data: {"candidates":[{"finishReason":"SOMETHING_NEW","index":0}]}\r\n\r\n',
    b'data: {"promptFeedback":{"blockReason":"SAFETY"}}\r\n\r\n',
    b'data: {"responseId":"other"}\r\n\r\n',
    b'data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\r\n\r\n',
    b'data: {"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo"}]}}\r\n\r\n',
    b'{\n  "error": {\n    "code": 500,\n    "message": "raw",\n    "status": "INTERNAL"\n  }\n}\n',
    b"data: ", b"data:", b"data", b"event: x\n", b"id: 1\n", b": keep-alive\n", b"retry: 10\n",
    b'data: {"candidates":[{"content":{"parts":[{"text":"', b'"}]},"index":0}]}', b'"}]},"finishReason":"STOP"}]}',
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"null", b"true", b"1e999", b"\\u0000", b"\\ud800",
    b"\r\n\r\n", b"\r\n", b"\n", b"\r", b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\xff", b"\xc3",
]  # fmt: skip


class FakeResponse:
    """What ResponseStream needs of a transport Response: reads, then release() or close()."""

    settings = SimpleNamespace(api_key="fuzz-key")  # the stream scrubs the key from errors
    usage_ticket = None  # no tokens_per_minute limit

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces
        self.ended: list[str] = []

    async def read_chunk(self) -> bytes:
        return self._pieces.pop(0) if self._pieces else b""

    def release(self) -> None:
        self.ended.append("release")

    def close(self) -> None:
        self.ended.append("close")


def step(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends; its return value (or exception) comes straight back."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise AssertionError("the stream waited for something; this target cannot drive that")


def known_bug(exc: BaseException) -> bool:
    """Known bugs 1 and 2, recognised by where the exception left genai_async."""
    frames = [(os.path.basename(f.filename), f.name) for f in traceback.extract_tb(exc.__traceback__)]
    if len(frames) < 2 or frames[-2][0] != "_streaming.py":
        return False
    if isinstance(exc, msgspec.DecodeError):  # 1: the '"error"' pre-check parses outside the mapping try
        return frames[-1] == ("_codec.py", "decode_json")
    return isinstance(exc, (ValueError, TypeError)) and frames[-1] == ("_streaming.py", "_raise_if_error")  # 2


def buffered(stream: ResponseStream) -> bool:
    """Whether decoded events wait in the stream's buffer (known bug 3 yields them after the end)."""
    return len(getattr(stream, "_events", ())) > getattr(stream, "_next", 0)


class OneShot:
    """The call behind the stream: one request, no retries, no continuation hops."""

    def __init__(self, resp: FakeResponse) -> None:
        self.resp = resp

    async def open(self) -> FakeResponse:
        return self.resp

    def retry(self, exc: BaseException, attempt: int) -> None:
        return None

    def continue_with(self, token: bytes) -> bool:
        return False

    def complete(self, response: Any) -> None:
        pass


def run(body: bytes, cuts: list[int]) -> tuple[list[Any], str | None]:
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    resp = FakeResponse([p for p in pieces if p])

    stream = ResponseStream(OneShot(resp), endpoint="models/fuzz:streamGenerateContent")  # type: ignore[arg-type]
    chunks: list[Any] = []
    error: BaseException | None = None
    while True:
        try:
            chunks.append(step(stream.__anext__()))
        except StopAsyncIteration:
            break
        except (StreamError, APIError) as exc:
            error = exc
            break
        except Exception as exc:
            if STRICT or not known_bug(exc):
                raise
            error = exc
            break
    assert resp.ended == (["close"] if error is not None else ["release"]), resp.ended
    if STRICT or not buffered(stream):  # known bug 3: events still buffered are yielded after the end
        try:
            step(stream.__anext__())
            raise AssertionError("an ended stream yielded again")
        except StopAsyncIteration:
            pass
    if error is None:
        assert chunks and stream.chunk_count == len(chunks)
        return chunks, None
    partial = getattr(error, "partial", None)
    if chunks and isinstance(error, (StreamError, APIError)):
        assert partial is not None, f"{error!r} lost the {len(chunks)} chunks yielded before it"
    return chunks, f"{type(error).__name__}: {error}"


def test_one_input(data: bytes) -> None:
    if len(data) < 5:
        return
    payload = data[5:]
    body = payload if data[0] % 2 == 0 else b"".join(TOKENS[b % len(TOKENS)] for b in payload)
    rng = random.Random(int.from_bytes(data[1:5], "little"))
    cuts = sorted(rng.sample(range(1, len(body)), min(max(len(body) - 1, 0), rng.randint(0, 24))))
    whole = run(body, [])
    chunked = run(body, cuts)
    assert chunked == whole, f"chunking changed the outcome (cuts={cuts}):\n{whole!r}\n{chunked!r}"


if __name__ == "__main__":
    main(test_one_input, TOKENS)
