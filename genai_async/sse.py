# Design
# ------
# Follows the WHATWG "event stream interpretation" rules:
# https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
#
# Decided:
# - Bytes are split into lines on b"\r", b"\n" and b"\r\n" *before* decoding, so U+2028, U+2029 and
#   NEL inside JSON never end a line. A CR that ends one read ends the line at once (no waiting), and
#   an LF opening the next read is then swallowed: CR+LF split across reads is one line end.
# - Only complete lines are decoded (UTF-8, errors="replace" as the spec says), so a character split
#   across reads decodes whole and invalid bytes become U+FFFD the same way for every chunking.
#   `errors=` picks another codec error handler: the Gemini client uses "surrogateescape", which
#   keeps each invalid byte as a lone surrogate so it can reject exactly the event holding it
#   ("strict" would raise for a whole read, before the good events in it were delivered).
# - One leading UTF-8 BOM is stripped at stream start, even if it arrives split across reads.
# - Size cap (max_event_size, bytes): one line (even one that arrives whole), the joined data of the
#   event being built each raise SSEError past it, and so do the non-field lines in total past
#   max_extra_size (default: max_event_size). The checks look at
#   content, never at how it was chunked, so chunking cannot change the outcome.
# - Two extras for the Gemini client, beyond the spec: `extra_lines` keeps lines that are not SSE
#   fields (Gemini may write a raw JSON error after the last event), and `unterminated` exposes the
#   event left without its blank line at close(). Neither changes which events are dispatched.
# - Memory is bounded by content, not by line count: `extra_lines` keeps only the first
#   EXTRA_KEPT bytes / EXTRA_KEPT_LINES lines of such lines (enough for an error envelope, and
#   for an excerpt in a message); later ones are counted (`extra_dropped`, `extra_size`) and
#   dropped, so a body of short junk lines (`a:` 10 million times) holds no string per line.
#   `max_extra_size` caps their total.
# - `ServerSentEvent.id` is the spec's lastEventId (it persists until the server sends another id),
#   None when empty; `retry` is the value given in that event's own lines.
# - Speed: between events (no field of an event pending, only possibly the start of a line), whole
#   `data: {json}\r\n\r\n` events (Gemini's shape) are cut out by one split checked by one join, no
#   line splitting, even when a read ends mid-event; anything else goes through bytes.splitlines()
#   once, and a long line growing over many reads is kept in a bytearray, with only each new read
#   searched for a line end. Two private entry points serve the Gemini client (genai_async._streaming),
#   which wants only each event's data: `_one_event()` (a read that is exactly one plain event: no list,
#   no event object) and `_feed_data()` (feed() without the event objects). They and the split path of
#   `_take()` run only while `_idle` holds; the rule behind it is `_between_events()`, written below the
#   fields it reads, and tests/unit/test_sse_properties.py proves every path gives what feed() gives.
# Left out: reconnection and the stream-wide reconnection time (the caller owns retries), sending
# Last-Event-ID, and recovery after SSEError (the decoder is then in an undefined state).
"""Incremental Server-Sent Events decoder: feed it bytes, get ``ServerSentEvent`` objects back."""

from __future__ import annotations

import codecs

__all__ = ["SSEDecoder", "SSEError", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
EXTRA_KEPT = 64 * 1024
"""Bytes of lines outside SSE framing kept in ``extra_lines``; later ones are only counted."""
EXTRA_KEPT_LINES = 1024
"""Lines of them kept at most (a short line costs more as a Python string than as bytes)."""


def _first_line_end(chunk: bytes) -> int:
    """Index of the first CR or LF in ``chunk``, which must contain one."""
    cr = chunk.find(b"\r")
    lf = chunk.find(b"\n")
    return lf if cr < 0 else cr if lf < 0 else min(cr, lf)


class SSEError(ValueError):
    """Raised when one event, one line or the extra lines grow beyond ``max_event_size``."""


class ServerSentEvent:
    """One dispatched event: its type, data, last event id and retry hint.

    ``event`` is "message" when the stream named no type. ``id`` is the stream's last event ID at
    dispatch (it carries over from earlier events, as in the spec), or None if that is empty.
    ``retry`` is the reconnection time in milliseconds given in this event's lines, else None.
    """

    __slots__ = ("data", "event", "id", "retry")
    __match_args__ = ("event", "data", "id", "retry")

    def __init__(self, event: str = "message", data: str = "", id: str | None = None, retry: int | None = None) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (
            self.data == other.data and self.event == other.event and self.id == other.id and self.retry == other.retry
        )

    def __repr__(self) -> str:
        return f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r}, retry={self.retry!r})"


class SSEDecoder:
    """Turn a byte stream into events; call ``feed()`` per network read and ``close()`` at the end.

    Any chunking of the same bytes gives the same events. Beyond the spec it keeps two things the
    Gemini client needs:

    - ``extra_lines``: the text of every line that is neither a field the spec knows (data, event,
      id, retry) nor a comment, in order. Gemini can write a pretty-printed JSON error object outside
      SSE framing after the last event; join these lines at end of body and parse them. They do not
      affect events. Only the first ``EXTRA_KEPT`` bytes (64 KiB) and ``EXTRA_KEPT_LINES`` lines (1,024)
      of them are kept; later ones are counted
      in ``extra_dropped`` (``extra_size`` is the bytes of all of them). Their total size is capped
      at ``max_extra_size`` bytes (default: ``max_event_size``).
    - ``unterminated``: set by ``close()`` to the event still being built when the stream ended without
      its blank line (a final line with no line end counts as a line here), or None if it had no
      data lines. The spec discards it, so ``close()`` does not return it; the client decides whether
      its data is a complete chunk or a cut one.

    Raises SSEError when a line or an event grows beyond ``max_event_size``; discard the decoder then.
    ``errors`` is the codec error handler for bytes that are not UTF-8 ("replace", the spec's U+FFFD,
    by default; see the design notes at the top of the module).
    """

    __slots__ = (
        "_max",
        "_max_extra",
        "_head",
        "_pending",
        "_skip_lf",
        "_data",
        "_data_size",
        "_event",
        "_id",
        "_last_event_id",
        "_retry",
        "extra_size",
        "extra_dropped",
        "_idle",
        "_errors",
        "extra_lines",
        "unterminated",
    )

    def __init__(
        self, max_event_size: int = 32 * 1024 * 1024, *, max_extra_size: int | None = None, errors: str = "replace"
    ) -> None:
        if max_event_size < 1:
            raise ValueError(f"max_event_size must be positive, got {max_event_size}")
        codecs.lookup_error(errors)  # an unknown handler fails here (LookupError), not at the first byte
        self._errors = errors
        self._max = max_event_size
        self._max_extra = max_event_size if max_extra_size is None else max_extra_size
        # The state of the event being built; _between_events() reads the fields marked (*).
        self._head: bytes | None = b""  # (*) bytes held until the BOM question is settled; None after
        self._pending = bytearray()  # start of a line whose end has not arrived; never holds CR/LF
        self._skip_lf = False  # (*) the last chunk ended in CR, so an LF opening the next one is its pair
        self._data: list[bytes] = []  # (*) values of this event's data lines, decoded at dispatch
        self._data_size = 0  # bytes of the joined data + 1 (a "\n" is counted after each line)
        self._event = ""  # (*)
        self._id = ""  # (*) the spec's "last event ID buffer"
        self._last_event_id = ""  # (*)
        self._retry: int | None = None  # (*)
        self._idle = True  # == _between_events(), cached: set wherever a (*) field may change
        self.extra_size = 0  # bytes of every non-field line (kept or not), line ends not counted
        self.extra_dropped = 0  # such lines counted but not kept (past EXTRA_KEPT bytes)
        self.extra_lines: list[str] = []
        self.unterminated: ServerSentEvent | None = None

    def _between_events(self) -> bool:
        """The rule that lets the shortcuts (``_one_event``, ``_feed_data``'s split path) run: no
        field of an event is pending, so whole ``data: ...\\r\\n\\r\\n`` events can be cut out of the
        bytes without parsing lines. That is: no BOM bytes held (``_head`` is None, or b"" before the
        first byte), no CR waiting for its LF, no data, event type or retry of an unfinished event,
        and no id line since the last blank line (a plain event carries ``_id`` unchanged). A line
        start in ``_pending`` is allowed: the shortcuts prepend it (``_one_event`` requires it empty).

        ``_idle`` caches this (the shortcuts run once per read): ``_feed`` sets it from here after
        the general path, ``_take`` after the BOM question, ``close()`` to False (no more bytes).
        The property tests check that ``_idle == _between_events()`` after every read."""
        return (
            not self._head
            and not self._skip_lf
            and not self._data
            and not self._event
            and self._retry is None
            and self._id == self._last_event_id
        )

    @property
    def last_event_id(self) -> str:
        """The last event ID as of the latest blank line (the value to reconnect with); "" if none."""
        return self._last_event_id

    def _one_event(self, chunk: bytes) -> str | None:
        """The data of ``chunk`` when it is exactly one whole plain event (``data: <one line>`` and
        its blank line) arriving between events, else None. Either way the decoder is left as it
        was: on a string, the event is consumed exactly as :meth:`feed` would have done it; on None,
        call :meth:`feed` or :meth:`_feed_data` with the same bytes. Private, for the Gemini client
        (the commonest read of a Gemini stream costs no event object and no list)."""
        if (
            self._idle
            and not self._pending
            and chunk[-4:] == b"\r\n\r\n"
            and chunk[:6] == b"data: "
            and len(chunk) <= self._max
        ):
            body = chunk[6:-4]
            if 13 not in body and 10 not in body:
                self._head = None  # a read that starts with "data: " settles the BOM question
                return body.decode("utf-8", self._errors)
        return None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Take the next bytes of the body and return the events they complete (often none)."""
        last_id = self._id or None  # what the plain events cut out first carry (they change no id)
        data, events = self._take(chunk)
        if not data:
            return events
        plain = [ServerSentEvent("message", value, last_id) for value in data]
        return plain + events if events else plain

    def _feed_data(self, chunk: bytes) -> list[str]:
        """The data of each event ``feed(chunk)`` would return, without building the events.
        Private, for the Gemini client, which only wants the data."""
        data, events = self._take(chunk)
        if events:
            data += [event.data for event in events]
        return data

    def _take(self, chunk: bytes) -> tuple[list[str], list[ServerSentEvent]]:
        """The data of the whole plain ``data: <one line>\r\n\r\n`` events at the start of the
        buffered line start + ``chunk``, then the events of whatever follows them.

        Gemini's reads hold whole events, often cut at the end of the read. Between events (idle)
        they need no line splitting at all: when every CR and LF up to the last blank line belongs
        to a ``\r\n\r\n`` and every event starts with ``data: ``, the events are the pieces
        between the separators, found by one split and checked by one join. A partial line left at
        the end stays buffered (still idle); anything else goes through the general path from the
        same state, which gives the same result, only slower.
        """
        if self._head is not None:  # the first bytes: settle the BOM question first
            chunk = self._strip_bom(chunk)
            self._idle = not self._head  # == _between_events(): only BOM bytes can be held before the first line
            if self._head is not None:
                return [], []
        if not self._idle:
            return [], self._feed(chunk)
        pending = self._pending
        if pending:
            if 13 not in chunk and 10 not in chunk and len(pending) + len(chunk) <= self._max:
                pending += chunk  # the line goes on: only the new bytes are searched (a long event stays linear)
                return [], []
            chunk = bytes(pending) + chunk
            pending.clear()
        cut = chunk.rfind(b"\r\n\r\n") + 4
        data: list[str] = []
        if cut >= 4 and cut <= self._max and chunk[:6] == b"data: ":
            # Decoding the whole run at once equals decoding each value: it is cut only at ASCII bytes.
            pieces = chunk[6 : cut - 4].decode("utf-8", self._errors).split("\r\n\r\ndata: ")
            rest = "".join(pieces) if len(pieces) > 1 else pieces[0]
            if "\r" not in rest and "\n" not in rest:  # every CR and LF was in a separator
                data = pieces
                chunk = chunk[cut:]
        if not chunk:
            return data, []
        if 13 not in chunk and 10 not in chunk and len(chunk) <= self._max:
            pending += chunk  # the start of the next line: wait for more
            return data, []
        return data, self._feed(chunk)

    def close(self) -> list[ServerSentEvent]:
        """End the stream. Returns [] (the spec drops an unfinished event); see ``unterminated``."""
        self._idle = False
        tail = b"".join((self._head or b"", self._pending))
        self._head = None
        self._pending.clear()
        if tail:
            self._lines([tail])
        if self._data:
            self.unterminated = self._build()
        return []

    def _feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The general path of feed(): any bytes, any state."""
        self._idle = False  # stays False if anything below raises
        if self._head is not None:
            chunk = self._strip_bom(chunk)
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))  # only the new bytes are searched
        pending = self._pending
        if end < 0:
            pending += chunk
            if len(pending) > self._max:
                raise self._too_big("one unterminated line", len(pending))
            self._idle = self._between_events()  # (an LF swallowed above may have ended the wait for it)
            return []
        lines: list[bytes] = []
        start = 0
        if pending:  # finish the buffered line in place rather than copying it into a joined chunk
            start = _first_line_end(chunk)
            pending += memoryview(chunk)[:start]
            if len(pending) > self._max:
                raise self._too_big("one line", len(pending))
            lines.append(bytes(pending))
            pending.clear()
            start += 2 if chunk[start : start + 2] == b"\r\n" else 1
        if len(chunk) > self._max:
            self._check_line_sizes(chunk)
        if end + 1 < len(chunk):
            pending += memoryview(chunk)[end + 1 :]
        else:
            self._skip_lf = chunk[end] == 0x0D
        if start <= end:
            # bytes.splitlines() splits on CR, LF and CRLF only; str.splitlines would split on U+2028 too.
            lines += chunk[start : end + 1].splitlines()
        events = self._lines(lines)
        self._idle = self._between_events()
        return events

    def _strip_bom(self, chunk: bytes) -> bytes:
        head = (self._head or b"") + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        # Lines are parsed as bytes and only values are decoded: ":" and " " are ASCII, never part of a
        # multi-byte character, so this matches decoding the whole line first.
        events: list[ServerSentEvent] = []
        data = self._data
        size = self._data_size
        limit = self._max + 1
        for line in lines:
            if not line:
                self._last_event_id = self._id
                if data:  # built inline: this runs once per event on the hot path
                    raw = data[0] if len(data) == 1 else b"\n".join(data)
                    events.append(
                        ServerSentEvent(
                            self._event or "message", raw.decode("utf-8", self._errors), self._id or None, self._retry
                        )
                    )
                    data.clear()
                    size = 0
                self._event = ""
                self._retry = None
                continue
            if line[:6] == b"data: ":  # the usual line, first; same result as the general path
                name, value = b"data", line[6:]
            else:
                name, colon, value = line.partition(b":")
                if not name and colon:
                    continue  # a comment
                if value[:1] == b" ":
                    value = value[1:]
            if name == b"data":
                size += len(value) + 1
                if size > limit:
                    raise self._too_big("the data of one event", size - 1)
                data.append(value)
            elif name == b"event":
                self._event = value.decode("utf-8", self._errors)
            elif name == b"id":
                if b"\0" not in value:
                    self._id = value.decode("utf-8", self._errors)
            elif name == b"retry":
                self._set_retry(value)
            else:
                self._add_extra_line(line)
        self._data_size = size
        return events

    def _build(self) -> ServerSentEvent:
        data = b"\n".join(self._data).decode("utf-8", self._errors)
        return ServerSentEvent(self._event or "message", data, self._id or None, self._retry)

    def _set_retry(self, value: bytes) -> None:
        if value.isdigit():  # bytes.isdigit() is ASCII digits only, and False for b""
            try:
                self._retry = int(value)
            except ValueError:  # more digits than int() accepts: not a usable delay either
                pass

    def _add_extra_line(self, line: bytes) -> None:
        size = self.extra_size = self.extra_size + len(line)
        if size > self._max_extra:
            raise SSEError(
                f"SSE stream: the lines outside SSE framing (extra_lines) total {size} bytes, over "
                f"max_extra_size={self._max_extra}: this is not an event stream"
            )
        if size <= EXTRA_KEPT and len(self.extra_lines) < EXTRA_KEPT_LINES:
            self.extra_lines.append(line.decode("utf-8", self._errors))
        else:
            self.extra_dropped += 1

    def _check_line_sizes(self, block: bytes) -> None:
        longest = max(map(len, block.splitlines()))
        if longest > self._max:
            raise self._too_big("one line", longest)

    def _too_big(self, what: str, size: int) -> SSEError:
        return SSEError(
            f"SSE stream: {what} is {size} bytes, over max_event_size={self._max}; if the server "
            f"really sends events this big, raise the limit with SSEDecoder(max_event_size=...)"
        )
