"""The SSE decoder on recorded Gemini streams and on hand-made byte chunks (no server).

Every fixture must give the same events however the bytes are split; the hand-made cases walk through
the WHATWG event-stream rules and the two extras the client relies on (extra_lines, unterminated).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest

import genai_async.sse
from genai_async.sse import EXTRA_KEPT, ServerSentEvent, SSEDecoder, SSEError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BOM = b"\xef\xbb\xbf"
MIB = 1024 * 1024

EXPECTED_EVENTS = {
    "stream_text.sse": 9,
    "stream_text_usage_last_only.sse": 7,
    "stream_thoughts.sse": 6,
    "stream_function_call.sse": 2,
    "stream_parallel_function_calls.sse": 3,
    "stream_max_tokens.sse": 5,
    "stream_prompt_blocked.sse": 1,
    "stream_candidate_safety.sse": 3,
    "stream_error_midstream.sse": 4,
    "stream_error_raw_json.sse": 2,
}


class Result:
    """Everything a decoder produced for one stream, comparable as a whole."""

    def __init__(self, decoder: SSEDecoder, events: list[ServerSentEvent]) -> None:
        self.events = events
        self.extra_lines = decoder.extra_lines
        self.unterminated = decoder.unterminated
        self.last_event_id = decoder.last_event_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Result({vars(self)!r})"


def decode(chunks: Iterable[bytes], **kwargs: int) -> Result:
    decoder = SSEDecoder(**kwargs)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    return Result(decoder, events)


def data_of(stream: bytes) -> list[str]:
    return [event.data for event in decode([stream]).events]


def split_at(body: bytes, cuts: Iterable[int]) -> list[bytes]:
    edges = [0, *sorted(cuts), len(body)]
    return [body[a:b] for a, b in pairwise(edges)]


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- recorded Gemini streams ---------------------------------------------------------------------


def test_every_sse_fixture_has_an_expected_count() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.sse")) == sorted(EXPECTED_EVENTS)


@pytest.mark.parametrize(("name", "count"), sorted(EXPECTED_EVENTS.items()))
def test_fixture_decodes_to_expected_json_events(name: str, count: int) -> None:
    result = decode([read_fixture(name)])
    assert len(result.events) == count
    for event in result.events:
        assert event.event == "message"
        assert event.id is None
        assert event.retry is None
        assert isinstance(json.loads(event.data), dict)
    assert result.unterminated is None
    assert result.last_event_id == ""


@pytest.mark.parametrize("name", sorted(EXPECTED_EVENTS))
def test_fixture_fed_one_byte_at_a_time_gives_same_result(name: str) -> None:
    body = read_fixture(name)
    assert decode(body[i : i + 1] for i in range(len(body))) == decode([body])


@pytest.mark.parametrize("name", sorted(EXPECTED_EVENTS))
def test_fixture_split_at_every_offset_gives_same_result(name: str) -> None:
    body = read_fixture(name)
    whole = decode([body])
    for cut in range(len(body) + 1):
        assert decode([body[:cut], body[cut:]]) == whole, f"split at byte {cut}"


@pytest.mark.parametrize("name", sorted(EXPECTED_EVENTS))
def test_fixture_split_at_random_offsets_gives_same_result(name: str) -> None:
    body = read_fixture(name)
    whole = decode([body])
    rng = random.Random(name)
    for _ in range(50):
        cuts = [rng.randrange(len(body) + 1) for _ in range(rng.randrange(2, 40))]
        assert decode(split_at(body, cuts)) == whole, f"cuts {sorted(cuts)}"


@pytest.mark.parametrize("name", sorted(EXPECTED_EVENTS))
def test_fixture_fed_one_event_per_read_gives_same_result(name: str) -> None:
    body = read_fixture(name)
    reads = [part + b"\r\n\r\n" for part in body.split(b"\r\n\r\n")]
    reads[-1] = reads[-1][:-4]
    assert b"".join(reads) == body
    assert decode(reads) == decode([body])


def test_raw_json_error_after_last_event_lands_in_extra_lines() -> None:
    result = decode([read_fixture("stream_error_raw_json.sse")])
    assert len(result.events) == 2
    assert result.extra_lines[0] == "{"
    assert result.unterminated is None
    envelope = json.loads("\n".join(result.extra_lines))
    assert envelope["error"]["code"] == 503
    assert envelope["error"]["status"] == "UNAVAILABLE"


def test_in_band_error_event_is_an_ordinary_event() -> None:
    events = decode([read_fixture("stream_error_midstream.sse")]).events
    assert json.loads(events[-1].data)["error"]["code"] == 503


@pytest.mark.parametrize(
    ("name", "char"), [("stream_text.sse", "✅"), ("stream_thoughts.sse", "λ"), ("stream_thoughts.sse", "—")]
)
def test_multibyte_character_split_inside_its_bytes_decodes_whole(name: str, char: str) -> None:
    body = read_fixture(name)
    at = body.index(char.encode())
    expected = decode([body]).events
    assert any(char in event.data for event in expected)
    for inside in range(1, len(char.encode())):
        assert decode([body[: at + inside], body[at + inside :]]).events == expected


# --- line ends -------------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_each_line_ending_frames_events(eol: bytes) -> None:
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert data_of(stream) == ["a\nb", "c"]


def test_mixed_line_endings_in_one_stream() -> None:
    assert data_of(b"data: a\rdata: b\ndata: c\r\n\ndata: d\r\r\ndata: e\n\r") == ["a\nb\nc", "d", "e"]


def test_cr_then_cr_lf_is_two_line_ends() -> None:
    assert data_of(b"data: a\r\r\n") == ["a"]


def test_lf_then_cr_is_two_line_ends() -> None:
    assert data_of(b"data: a\n\r") == ["a"]


def test_cr_ending_one_read_and_lf_starting_the_next_are_one_line_end() -> None:
    result = decode([b"data: a\r", b"\ndata: b\r\n\r\n"])
    assert [event.data for event in result.events] == ["a\nb"]


def test_cr_at_end_of_read_dispatches_without_waiting_for_more() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\n\r") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [ServerSentEvent(data="b")]


def test_lf_after_a_split_cr_is_swallowed_only_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="a")]


def test_crlf_ending_a_line_that_started_in_an_earlier_read_is_one_line_end() -> None:
    assert data_of(b"data: a\r\n\r\n") == ["a"]
    assert [event.data for event in decode([b"data: a", b"b\r\ndata: c\r\n\r\n"]).events] == ["ab\nc"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"], ids=repr)
def test_unicode_line_separators_inside_json_do_not_split_lines(separator: str) -> None:
    payload = json.dumps({"text": f"one{separator}two"}, ensure_ascii=False)
    assert separator in payload
    [data] = data_of(f"data: {payload}\r\n\r\n".encode())
    assert json.loads(data)["text"] == f"one{separator}two"


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e"], ids=repr)
def test_ascii_controls_that_str_splitlines_splits_on_stay_in_data(separator: str) -> None:
    assert data_of(f"data: one{separator}two\n\n".encode()) == [f"one{separator}two"]


# --- the one-event-per-read shortcut ---------------------------------------------------------------


def test_read_shaped_like_one_event_but_holding_more_lines_is_fully_parsed() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\r\n\r\n") == [ServerSentEvent(data="1")]
    assert decoder.feed(b"data: a\nevent: x\r\n\r\n") == [ServerSentEvent("x", "a")]
    assert decoder.feed(b"data: a\rb\r\n\r\n") == [ServerSentEvent(data="a")]
    assert decoder.extra_lines == ["b"]


def test_one_event_read_after_a_pending_id_updates_last_event_id() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\r\n\r\nid: 5\r\n") == [ServerSentEvent(data="1")]
    assert decoder.feed(b"data: 2\r\n\r\n") == [ServerSentEvent(data="2", id="5")]
    assert decoder.last_event_id == "5"


@pytest.mark.parametrize(
    "before", [b"event: x\r\n", b"retry: 9\r\n", b"data: 0\r\n", b"data: 0", b"data: 0\r", b"\xef\xbb"]
)
def test_one_event_read_continues_what_the_previous_read_left(before: bytes) -> None:
    after = b"data: 2\r\n\r\n"
    assert decode([before, after]) == decode([before + after])


def test_one_event_does_not_take_a_read_while_a_split_bom_is_held() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder._one_event(b"data: 1\r\n\r\n") is None  # the held byte belongs before this line
    assert decoder._feed_data(b"data: 1\r\n\r\n") == []
    assert decoder.extra_lines == ["\ufffddata: 1"]


def test_first_read_taken_by_one_event_settles_the_bom_question() -> None:
    decoder = SSEDecoder()
    assert decoder._one_event(b"data: 1\r\n\r\n") == "1"
    assert decoder.feed(b"\xef\xbb\xbfdata: 2\r\n\r\n") == []  # a BOM after the start is not stripped
    assert decoder.extra_lines == ["\ufeffdata: 2"]


@pytest.mark.parametrize(
    ("read", "data"),
    [
        (b"data: 1\r\n\r\ndata: 2\r\n\r\n", ["1", "2"]),
        (b"data: 1\r\n\r\ndata: 2\r\n\r\ndata: 3", ["1", "2"]),  # the cut event waits
        (b"data: 1\r\n\r\n\r\n\r\ndata: 2\r\n\r\n", ["1", "2"]),  # blank lines between events
        (b"data: 1\r\n\r\ndata:2\r\n\r\n", ["1", "2"]),  # no space after the colon
        (b"data: 1\r\n\r\nevent: x\r\ndata: 2\r\n\r\n", ["1", "2"]),
        (b"data: 1\r\n\r\ndata: 2\r\ndata: 3\r\n\r\n", ["1", "2\n3"]),  # a two-line event
        (b"data: 1\r\n\r\ndata: 2\n\n", ["1", "2"]),  # LF line ends after CRLF ones
        (b"data: [1,\r\n2]\r\n\r\n", ["[1,"]),  # a line that is JSON's continuation is not data
        (b"data: \r\n\r\ndata: x\r\n\r\n", ["", "x"]),  # an empty data line still dispatches
        (b"data: \xe2\x9c\x85\r\n\r\ndata: \xff\r\n\r\n", ["\u2705", "\ufffd"]),
    ],
)
def test_reads_of_several_events_match_the_general_path(read: bytes, data: list[str]) -> None:
    warm = b"data: warm\r\n\r\n"
    decoder = SSEDecoder()
    assert decoder._feed_data(warm) == ["warm"]
    assert decoder._feed_data(read) == data
    assert [e.data for e in decode([warm, read]).events] == ["warm", *data]
    whole = SSEDecoder()
    assert [e.data for e in whole.feed(warm + read)] == ["warm", *data]


def test_feed_data_gives_the_data_feed_gives_with_ids_and_types_dropped() -> None:
    stream = b"id: 7\r\ndata: a\r\n\r\ndata: b\r\n\r\nevent: e\r\ndata: c\r\n\r\n"
    assert SSEDecoder()._feed_data(stream) == ["a", "b", "c"]
    assert SSEDecoder().feed(stream) == [
        ServerSentEvent(data="a", id="7"),
        ServerSentEvent(data="b", id="7"),
        ServerSentEvent("e", "c", "7"),
    ]


# --- fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "data"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),
        (b"data: ", ""),
        (b"data:", ""),
        (b"data", ""),
    ],
)
def test_one_leading_space_after_colon_is_stripped(line: bytes, data: str) -> None:
    assert data_of(line + b"\n\n") == [data]


def test_multi_line_data_is_joined_with_lf() -> None:
    assert data_of(b'data: {\ndata:  "a": 1\ndata: }\n\n') == ['{\n "a": 1\n}']


def test_empty_data_line_still_dispatches_an_event() -> None:
    assert data_of(b"data\n\ndata:\ndata:\n\n") == ["", "\n"]


def test_comments_are_ignored_and_not_kept() -> None:
    result = decode([b": keep-alive\n:\ndata: a\n: inside\n\n"])
    assert [event.data for event in result.events] == ["a"]
    assert result.extra_lines == []


def test_blank_line_without_data_dispatches_nothing() -> None:
    assert decode([b"\n\n\r\n: ping\n\nevent: x\n\n"]).events == []


def test_event_field_sets_type_until_the_next_blank_line() -> None:
    events = decode([b"event: add\ndata: 1\n\ndata: 2\n\nevent: gone\n\ndata: 3\n\n"]).events
    assert [(e.event, e.data) for e in events] == [("add", "1"), ("message", "2"), ("message", "3")]


def test_empty_event_field_means_message() -> None:
    assert decode([b"event:\ndata: a\n\nevent\ndata: b\n\n"]).events == [
        ServerSentEvent("message", "a"),
        ServerSentEvent("message", "b"),
    ]


def test_id_carries_over_to_later_events_and_empty_id_resets_it() -> None:
    events = decode([b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 7\ndata: d\n\n"]).events
    assert [event.id for event in events] == ["1", "1", None, "7"]


def test_id_containing_nul_is_ignored() -> None:
    result = decode([b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"])
    assert [event.id for event in result.events] == ["1", "1"]
    assert result.last_event_id == "1"


def test_last_event_id_changes_at_the_blank_line_even_without_data() -> None:
    decoder = SSEDecoder()
    assert decoder.last_event_id == ""
    assert decoder.feed(b"id: 5\n") == []
    assert decoder.last_event_id == ""
    assert decoder.feed(b"\n") == []
    assert decoder.last_event_id == "5"
    assert decoder.feed(b"data: a\n\n") == [ServerSentEvent(data="a", id="5")]


@pytest.mark.parametrize(
    ("line", "retry"),
    [
        (b"retry: 3000", 3000),
        (b"retry:0", 0),
        (b"retry: 007", 7),
        (b"retry:  5", None),
        (b"retry: 5s", None),
        (b"retry: -5", None),
        (b"retry: 1.5", None),
        (b"retry:", None),
        (b"retry: \xef\xbc\x95", None),  # a full-width digit is a digit to str.isdigit, not to SSE
        (b"retry: " + b"9" * 5000, None),  # more digits than int() takes
    ],
)
def test_retry_only_when_all_ascii_digits(line: bytes, retry: int | None) -> None:
    assert decode([line + b"\ndata: a\n\n"]).events == [ServerSentEvent(data="a", retry=retry)]


def test_retry_applies_to_its_own_event_only() -> None:
    events = decode([b"retry: 10\ndata: a\n\ndata: b\n\n"]).events
    assert [event.retry for event in events] == [10, None]


def test_unknown_fields_do_not_affect_events_but_are_kept_as_extra_lines() -> None:
    result = decode([b'foo: bar\ndata: a\nData: b\n{\n  "x": 1\n\n'])
    assert [event.data for event in result.events] == ["a"]
    assert result.extra_lines == ["foo: bar", "Data: b", "{", '  "x": 1']


def test_field_name_is_everything_before_the_first_colon() -> None:
    result = decode([b"data:a:b\n data: c\n\n"])
    assert [event.data for event in result.events] == ["a:b"]
    assert result.extra_lines == [" data: c"]


# --- end of stream ---------------------------------------------------------------------------------


def test_event_without_final_blank_line_is_not_dispatched_but_kept_as_unterminated() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\r\n\r\nevent: x\nid: 9\nretry: 5\ndata: {"b": 2}\r\n') == [
        ServerSentEvent(data='{"a": 1}')
    ]
    assert decoder.unterminated is None
    assert decoder.close() == []
    assert decoder.unterminated == ServerSentEvent("x", '{"b": 2}', "9", 5)
    assert decoder.last_event_id == ""


def test_final_line_without_line_end_counts_for_unterminated() -> None:
    result = decode([b'data: a\n\ndata: {"cut'])
    assert [event.data for event in result.events] == ["a"]
    assert result.unterminated == ServerSentEvent(data='{"cut')


def test_final_non_field_line_without_line_end_goes_to_extra_lines() -> None:
    result = decode([b"data: a\n\n{\n}"])
    assert result.extra_lines == ["{", "}"]
    assert result.unterminated is None


def test_unterminated_is_none_without_data_lines() -> None:
    assert decode([b"data: a\n\nevent: x\nid: 3\n: c"]).unterminated is None


def test_unterminated_is_none_before_close() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n")
    assert decoder.unterminated is None


def test_close_returns_no_events() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: b")
    assert decoder.close() == []


# --- byte order mark and UTF-8 ---------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    assert decode([BOM + b"data: a\n\n"]).extra_lines == []
    assert data_of(BOM + b"data: a\n\n") == ["a"]


@pytest.mark.parametrize("cuts", [[1], [2], [3], [1, 2], [1, 2, 3]])
def test_bom_split_across_reads_is_stripped(cuts: list[int]) -> None:
    result = decode(split_at(BOM + b"data: a\n\n", cuts))
    assert [event.data for event in result.events] == ["a"]
    assert result.extra_lines == []


def test_bom_is_stripped_only_once() -> None:
    result = decode([BOM + BOM + b"data: a\n\n"])
    assert result.events == []
    assert result.extra_lines == ["\ufeffdata: a"]


def test_bom_later_in_the_stream_is_content() -> None:
    assert data_of(b"data: a\n\n" + b"data: " + BOM + b"b\n\n") == ["a", "\ufeffb"]


def test_partial_bom_is_content_not_stripped() -> None:
    result = decode([b"\xef\xbb", b"data: a\n\n"])
    assert result.events == []
    assert result.extra_lines == ["\ufffddata: a"]


def test_partial_bom_alone_at_close_is_a_final_line() -> None:
    assert decode([b"\xef", b"\xbb"]).extra_lines == ["\ufffd"]


def test_invalid_utf8_becomes_replacement_character() -> None:
    assert data_of(b"data: a\xffb\xc3(\xe2\x9c\n\n") == ["a\ufffdb\ufffd(\ufffd"]


def test_utf8_character_split_across_reads_decodes_whole() -> None:
    encoded = "data: λ — ✅ 𝄞\n\n".encode()
    for cut in range(len(encoded) + 1):
        assert decode([encoded[:cut], encoded[cut:]]).events == [ServerSentEvent(data="λ — ✅ 𝄞")]


# --- sizes -----------------------------------------------------------------------------------------


def test_one_mib_single_line_event_decodes_in_64_kib_reads() -> None:
    payload = json.dumps({"text": "x" * MIB})
    stream = f"data: {payload}\r\n\r\n".encode()
    reads = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
    assert decode(reads).events == [ServerSentEvent(data=payload)]
    assert decode([stream]).events == [ServerSentEvent(data=payload)]


def test_long_event_in_tcp_segment_sized_reads_between_events() -> None:
    """A big base64 event after ordinary ones (the decoder idle, so on its fast path) arriving a
    segment at a time: one event, and the size cap applies at the same byte as for a whole read
    (benchmarks/bench_sse.py case (b) measures that this stays linear)."""
    first = b'data: {"text": "hi"}\r\n\r\n'
    payload = json.dumps({"data": "A" * 300_000})
    stream = first + f"data: {payload}\r\n\r\n".encode()
    reads = [stream[i : i + 1460] for i in range(0, len(stream), 1460)]
    assert [e.data for e in decode(reads).events] == ['{"text": "hi"}', payload]
    line = len(payload) + len("data: ")
    assert [e.data for e in decode(reads, max_event_size=line).events][1] == payload
    with pytest.raises(SSEError, match="line"):
        decode(reads, max_event_size=line - 1)


def test_event_of_exactly_max_event_size_is_accepted() -> None:
    assert data_of(b"data:" + b"x" * 95 + b"\n\n") == ["x" * 95]
    result = decode([b"data:" + b"x" * 95 + b"\ndata:" + b"y" * 4 + b"\n\n"], max_event_size=100)
    assert [event.data for event in result.events] == ["x" * 95 + "\n" + "y" * 4]


def test_event_one_byte_over_max_event_size_raises() -> None:
    with pytest.raises(SSEError, match="data of one event is 101 bytes"):
        decode([b"data:" + b"x" * 95 + b"\ndata:" + b"y" * 5 + b"\n\n"], max_event_size=100)


def test_one_event_read_over_max_event_size_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    decoder.feed(b"data: 1\r\n\r\n")
    with pytest.raises(SSEError, match="one line is 101 bytes"):
        decoder.feed(b"data: " + b"x" * 95 + b"\r\n\r\n")


def test_data_accumulated_past_max_event_size_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(SSEError, match=r"data of one event is 109 bytes.*max_event_size=100"):
        for _ in range(20):
            decoder.feed(b"data: " + b"x" * 9 + b"\n")


def test_long_unterminated_line_raises_before_its_end_arrives() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(SSEError, match=r"1004 bytes.*SSEDecoder\(max_event_size=\.\.\.\)"):
        decoder.feed(b"x" * 98)


def test_long_line_raises_even_when_it_arrives_whole() -> None:
    with pytest.raises(SSEError, match="one line is 1001 bytes"):
        decode([b": " + b"x" * 999 + b"\n\n"], max_event_size=1000)


def test_sse_error_is_a_value_error() -> None:
    assert issubclass(SSEError, ValueError)


def test_extra_lines_past_max_event_size_raise() -> None:
    decoder = SSEDecoder(max_event_size=100)
    decoder.feed(b"x" * 60 + b"\n")
    with pytest.raises(SSEError, match="extra_lines"):
        decoder.feed(b"y" * 41 + b"\n")


def test_max_event_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SSEDecoder(max_event_size=0)


# --- the event class and the module surface --------------------------------------------------------


def test_server_sent_event_defaults_equality_and_repr() -> None:
    event = ServerSentEvent(data="x")
    assert (event.event, event.data, event.id, event.retry) == ("message", "x", None, None)
    assert event == ServerSentEvent("message", "x", None, None)
    assert event != ServerSentEvent("message", "x", "1", None)
    assert event != ("message", "x", None, None)
    assert repr(event) == "ServerSentEvent(event='message', data='x', id=None, retry=None)"
    with pytest.raises(AttributeError):
        event.other = 1  # type: ignore[attr-defined]


def test_module_exports_exactly_the_decoder_api() -> None:
    assert genai_async.sse.__all__ == ["SSEDecoder", "SSEError", "ServerSentEvent"]


# --- memory bound on lines outside SSE framing (issue 15, item 7) -------------------------------------


def _held_after_feeding(body: bytes, read: int = 64 * 1024) -> tuple[SSEDecoder, int]:
    """Bytes the decoder still holds (tracemalloc) after taking ``body`` in reads of ``read`` bytes."""
    import tracemalloc

    tracemalloc.start()
    try:
        decoder = SSEDecoder()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(0, len(body), read):
            decoder.feed(body[i : i + read])
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return decoder, held


@pytest.mark.parametrize("line", [b"ab\n", b"a:\n", b"x: y\r\n", b'  "k": 1,\n'])
def test_junk_lines_cost_a_bounded_amount_of_memory(line: bytes) -> None:
    count = (1024 * 1024) // len(line)
    decoder, held = _held_after_feeding(line * count)
    assert held < 256 * 1024  # was over 16 MiB for 4 MiB of "ab\n"
    # and it does not grow with the input: a quarter of it (already past every cap) holds as much
    _, held_quarter = _held_after_feeding(line * (count // 4))
    assert held <= held_quarter + 8 * 1024
    kept = sum(map(len, decoder.extra_lines))
    assert kept <= EXTRA_KEPT and decoder.extra_dropped == count - len(decoder.extra_lines)
    assert decoder.extra_size == count * len(line.rstrip(b"\r\n"))


def test_a_raw_error_envelope_still_fits_in_the_kept_lines() -> None:
    envelope = json.dumps({"error": {"code": 500, "message": "m" * 2000, "status": "INTERNAL"}}, indent=2)
    decoder = SSEDecoder()
    decoder.feed(b'data: {"a":1}\r\n\r\n' + envelope.encode() + b"\n")
    assert decoder.extra_dropped == 0 and json.loads("\n".join(decoder.extra_lines))["error"]["code"] == 500


def test_max_extra_size_caps_the_junk_lines_on_their_own() -> None:
    decoder = SSEDecoder(max_extra_size=1000)
    decoder.feed(b"data: ok\n\n")
    with pytest.raises(SSEError, match="max_extra_size=1000"):
        decoder.feed(b"a:\n" * 600)
    assert len(decoder.extra_lines) <= 600


@pytest.mark.parametrize("cut", range(0, 40, 3))
def test_surrogateescape_keeps_invalid_bytes_for_the_consumer(cut: int) -> None:
    """The Gemini client decodes with errors="surrogateescape": invalid bytes survive as lone
    surrogates, so it can reject exactly the event that holds them (whatever the chunking)."""
    stream = b"data: ok\r\n\r\ndata: a\xffb\r\n\r\n"
    for decoder_data in (SSEDecoder(errors="surrogateescape")._feed_data,):
        got = decoder_data(stream[:cut]) + decoder_data(stream[cut:])
        assert got == ["ok", "a\udcffb"]


def test_errors_must_be_a_codec_error_handler() -> None:
    with pytest.raises(LookupError):
        SSEDecoder(errors="no-such-handler")
