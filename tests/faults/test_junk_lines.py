"""A body of junk lines costs bounded memory and fails the stream early (issue 15, item 7)."""

from __future__ import annotations

import pytest

from genai_async import errors

from .conftest import FaultServer, collect, new_client, no_leaks, text_events


@pytest.mark.parametrize("junk", [b"a:\n", b"ab\n"])
async def test_a_stream_of_junk_lines_fails_after_a_bounded_amount(fault_server: FaultServer, junk: bytes) -> None:
    first = text_events(["one ", "two"])[0]
    block = junk * (64 * 1024 // len(junk))
    fault_server.queue([("head",), ("write", first)] + [("write", block)] * 64)  # 4 MiB of junk
    async with new_client(fault_server.base_url, retry=False) as client:
        async with no_leaks(client, pooled=0):
            chunks, exc = await collect(client)
    assert [c.text for c in chunks] == ["one "]
    assert type(exc) is errors.StreamError and "max_extra_size" in str(exc)
    assert exc.partial is not None and exc.partial.text == "one "


async def test_junk_past_the_kept_excerpt_is_reported_with_its_size(fault_server: FaultServer) -> None:
    events = text_events(["one ", "two"])
    fault_server.queue([("head",), ("write", events[0]), ("write", events[1]), ("write", b"oops\n" * 2000)])
    async with new_client(fault_server.base_url, retry=False) as client:
        chunks, exc = await collect(client)
    assert len(chunks) == 2
    assert type(exc) is errors.StreamError and "8000 bytes outside SSE framing" in str(exc) and "oops" in str(exc)
    assert exc.partial is not None and exc.partial.text == "one two"
