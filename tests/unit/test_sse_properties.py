"""Property tests for the SSE decoder: chunking never matters, and it agrees with a plain spec reading.

`reference()` below is a deliberately naive transcription of the WHATWG event-stream rules (one byte at
a time, no buffering tricks) plus the decoder's two extras; the real decoder must match it for any bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from genai_async.sse import ServerSentEvent, SSEDecoder, SSEError

BOM = b"\xef\xbb\xbf"

# Pieces that make random bytes hit the interesting paths: field names, separators, every line end,
# the BOM, multi-byte and broken UTF-8, NUL, U+2028, digits.
TOKENS = [
    b"data", b"data:", b"data: ", b"event:", b"id:", b"id", b"retry:", b"retry: ", b":", b" ", b"x",
    b"{", b"}", b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", BOM, b"\xef", b"\xbb", b"\xe2\x9c\x85",
    b"\xce\xbb", b"\xe2\x80\xa8", b"\xff", b"\xc3", b"\x00", b"0", b"42", b"\xc2\x85",
]  # fmt: skip

# Applied per test rather than as a loaded profile, so other test modules keep their own settings.
fast = settings(max_examples=200, deadline=None)


@dataclass
class Outcome:
    events: list[ServerSentEvent] = field(default_factory=list)
    extra_lines: list[str] = field(default_factory=list)
    unterminated: ServerSentEvent | None = None
    last_event_id: str = ""
    error: bool = False


def decode(chunks: list[bytes], max_event_size: int = 32 * 1024 * 1024) -> Outcome:
    decoder = SSEDecoder(max_event_size)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        events += decoder.close()
    except SSEError:
        return Outcome(error=True)
    return Outcome(events, decoder.extra_lines, decoder.unterminated, decoder.last_event_id)


def reference(stream: bytes) -> Outcome:
    if stream.startswith(BOM):
        stream = stream[len(BOM) :]
    lines: list[bytes] = []
    line = bytearray()
    i = 0
    while i < len(stream):
        byte = stream[i]
        if byte in b"\r\n":
            lines.append(bytes(line))
            line = bytearray()
            if stream[i : i + 2] == b"\r\n":
                i += 1
        else:
            line.append(byte)
        i += 1

    out = Outcome()
    data: list[str] = []
    event_type, id_buffer, retry = "", "", None

    def process(text: str) -> None:
        nonlocal data, event_type, id_buffer, retry
        if text == "":
            out.last_event_id = id_buffer
            if data:
                joined = "\n".join(data)
                out.events.append(ServerSentEvent(event_type or "message", joined, id_buffer or None, retry))
            data, event_type, retry = [], "", None
            return
        if text.startswith(":"):
            return
        name, colon, value = text.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry":
            if value and all(c in "0123456789" for c in value):
                retry = int(value)
        else:
            out.extra_lines.append(text)

    for complete in lines:
        process(complete.decode("utf-8", "replace"))
    if line:
        process(bytes(line).decode("utf-8", "replace"))
    if data:
        out.unterminated = ServerSentEvent(event_type or "message", "\n".join(data), id_buffer or None, retry)
    return out


def split_at(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(cut % (len(body) + 1) for cut in cuts), len(body)]
    return [body[a:b] for a, b in pairwise(edges)]


token_streams = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)
cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)


@fast
@given(token_streams, cuts)
def test_sse_like_bytes_match_the_reference_however_chunked(stream: bytes, cut: list[int]) -> None:
    expected = reference(stream)
    assert decode([stream]) == expected
    assert decode(split_at(stream, cut)) == expected


event_shaped = token_streams.map(lambda body: b"data: " + body + b"\r\n\r\n")


@fast
@given(st.lists(token_streams | event_shaped, max_size=8))
def test_reads_along_token_boundaries_match_the_reference(reads: list[bytes]) -> None:
    # Reads that start with "data: " and end with CRLF CRLF exercise the one-event shortcut; the warm-up
    # event makes the decoder idle first so the shortcut is reachable from the first read on.
    warm = [b"data: warm\r\n\r\n"]
    assert decode(warm + reads) == reference(b"".join(warm + reads))


@fast
@given(st.lists(token_streams | event_shaped, max_size=8))
def test_one_event_then_feed_equals_feed(reads: list[bytes]) -> None:
    # How the client reads: _one_event() first, feed() with the same bytes only when it says None.
    warm = [b"data: warm\r\n\r\n"]
    decoder = SSEDecoder()
    data: list[str] = []
    try:
        for read in warm + reads:
            one = decoder._one_event(read)
            data += [one] if one is not None else [event.data for event in decoder.feed(read)]
        decoder.close()
    except SSEError:
        assert decode(warm + reads).error
        return
    expected = decode(warm + reads)
    assert data == [event.data for event in expected.events]
    assert (decoder.extra_lines, decoder.unterminated) == (expected.extra_lines, expected.unterminated)


@fast
@given(st.lists(token_streams | event_shaped, max_size=8))
def test_one_event_then_feed_data_equals_feed(reads: list[bytes]) -> None:
    # How the stream reads: _one_event() first, _feed_data() with the same bytes only when it says None,
    # from the very first read (the BOM question is settled by whichever takes the first bytes).
    decoder = SSEDecoder()
    data: list[str] = []
    try:
        for read in reads:
            one = decoder._one_event(read)
            data += [one] if one is not None else decoder._feed_data(read)
        decoder.close()
    except SSEError:
        assert decode(reads).error
        return
    expected = decode(reads)
    assert data == [event.data for event in expected.events]
    assert (decoder.extra_lines, decoder.unterminated) == (expected.extra_lines, expected.unterminated)
    assert decoder.last_event_id == expected.last_event_id


@fast
@given(st.lists(st.tuples(token_streams | event_shaped, st.sampled_from(["feed", "data", "one"])), max_size=8))
def test_every_entry_point_mixed_read_by_read_equals_feed_and_keeps_the_idle_rule(
    reads: list[tuple[bytes, str]],
) -> None:
    # Each read goes through a randomly chosen path: feed(), _feed_data(), or _one_event() with
    # _feed_data() when it declines. The data, extras and last id equal feed()'s, and the cached
    # _idle flag the shortcuts check equals the rule it stands for (_between_events) after every read.
    decoder = SSEDecoder()
    data: list[str] = []
    assert decoder._idle == decoder._between_events()
    try:
        for read, path in reads:
            if path == "feed":
                data += [event.data for event in decoder.feed(read)]
            elif path == "data":
                data += decoder._feed_data(read)
            else:
                one = decoder._one_event(read)
                data += [one] if one is not None else decoder._feed_data(read)
            assert decoder._idle == decoder._between_events(), (read, path)
        decoder.close()
    except SSEError:
        assert decode([read for read, _ in reads]).error
        return
    expected = decode([read for read, _ in reads])
    assert data == [event.data for event in expected.events]
    assert (decoder.extra_lines, decoder.unterminated) == (expected.extra_lines, expected.unterminated)
    assert decoder.last_event_id == expected.last_event_id


@fast
@given(st.lists(event_shaped, min_size=1, max_size=6))
def test_the_idle_rule_holds_between_plain_events_so_the_shortcuts_are_reachable(reads: list[bytes]) -> None:
    # The rule is not vacuous: after whole plain events (no id, event or retry line) the decoder is
    # between events, and a plain one-line event is taken by _one_event.
    decoder = SSEDecoder()
    try:
        for read in reads:
            decoder.feed(read)
    except SSEError:
        return
    if decoder._pending or decoder._data or decoder._skip_lf:
        return  # the random body left a line or an event open: not between events
    assert decoder._between_events() and decoder._idle
    assert decoder._one_event(b"data: {}\r\n\r\n") == "{}"


@fast
@given(st.binary(max_size=300), cuts)
def test_arbitrary_bytes_match_the_reference_however_chunked(stream: bytes, cut: list[int]) -> None:
    expected = reference(stream)
    assert decode([stream]) == expected
    assert decode(split_at(stream, cut)) == expected


@fast
@given(token_streams)
def test_one_byte_reads_match_one_read(stream: bytes) -> None:
    assert decode([stream[i : i + 1] for i in range(len(stream))]) == decode([stream])


@fast
@given(token_streams, cuts, st.integers(min_value=1, max_value=24))
def test_size_limit_outcome_does_not_depend_on_chunking(stream: bytes, cut: list[int], limit: int) -> None:
    assert decode(split_at(stream, cut), limit) == decode([stream], limit)


line_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=40
)  # U+2028 and friends included on purpose
line_end = st.sampled_from(["\r\n", "\n", "\r"])


@st.composite
def well_formed_streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """A stream of events with random data lines, random line ends and an optional BOM."""
    text = draw(st.sampled_from(["", "\ufeff"]))
    expected = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        name = draw(st.sampled_from(["", "update"]))
        values = draw(st.lists(line_text, min_size=1, max_size=4))
        if name:
            text += f"event: {name}{draw(line_end)}"
        if draw(st.booleans()):
            text += f": comment{draw(line_end)}"
        for value in values:
            space = " " if value.startswith(" ") else draw(st.sampled_from(["", " "]))
            text += f"data:{space}{value}{draw(line_end)}"
        # the blank line; after a lone CR an LF would merely complete that line end
        text += draw(st.sampled_from(["\r\n", "\r"])) if text.endswith("\r") else draw(line_end)
        expected.append(ServerSentEvent(name or "message", "\n".join(values)))
    return text.encode(), expected


@fast
@given(well_formed_streams(), cuts)
def test_well_formed_streams_round_trip(case: tuple[bytes, list[ServerSentEvent]], cut: list[int]) -> None:
    stream, expected = case
    result = decode(split_at(stream, cut))
    assert result.events == expected
    assert result.extra_lines == []
    assert result.unterminated is None
