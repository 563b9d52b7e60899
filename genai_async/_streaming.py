"""The stream object returned by ``generate_content_stream`` and ``chat.send_message_stream``.

One object, three ways in: ``await`` it (sends the request, raises HTTP errors, returns itself),
``async for`` over it, or ``async with`` it. Data flows one way: bytes from the transport -> the
SSE decoder -> one msgspec decode per event (straight from the event text, no dict) -> the
accumulator (stitching) -> the chunk handed to the caller.

Decisions:
- End of stream is the end of the HTTP body, not a finishReason. At that point the decoder's
  unterminated event is delivered when its data is complete JSON (nothing lost) and is a
  StreamError when it is cut (also when the body ends right after ``data:``); lines outside SSE
  framing are parsed as a raw JSON error envelope (APIError) or rejected (StreamError). Then the
  completeness rule (docs §5.4): an empty body, or a candidate without finishReason and no prompt
  block reason, is a StreamError.
- Every error carries the stitched partial response (``exc.partial``), raised only after every
  good chunk was yielded.
- The connection is closed, never returned half-read to the pool, on break (``aclose`` from
  ``async with``), cancellation, any error, or garbage collection; a body read to its end goes
  back to the pool. ``aclose()`` is idempotent. Called from another task while this stream waits
  (for its headers or for a read), it ends that wait with a StreamError that says so (not a
  ConnectionError: nothing failed on the network); an answer that arrives after it is closed unread.
- A candidate that stops with finishReason CONTINUATION and a continuationToken is followed with
  a new request carrying the token (unless the caller opted out); its chunks continue the same
  iteration and the same stitched response, usage adds up across hops. A hop that fails before
  its first chunk is retried like a first request.
- No async generator: ``__anext__`` is a plain method, so there is no generator to finalise and
  no "Task was destroyed" or "asynchronous generator" warning on abandonment.
"""

from __future__ import annotations

import asyncio
import enum
import traceback
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from ._accumulate import Accumulator
from ._codec import TooDeep, decode_json, decoder, too_deep
from ._secrets import scrub
from .errors import ConnectionError, GenAIError, StreamError, inband_error
from .sse import SSEDecoder, SSEError
from .types import GenerateContentResponse

if TYPE_CHECKING:
    from ._limits import Ticket
    from ._transport import Response


_EXCERPT = 120
MAX_EXTRA = 1024 * 1024
"""Bytes of lines outside SSE framing a stream may carry before it fails (an error envelope is a few KiB)."""
_UTF8_ERRORS = "surrogateescape"
"""Invalid UTF-8 is kept as lone surrogates, which msgspec refuses to decode, so exactly the event
holding it fails (a StreamError, as on a unary call) after every good event before it; "replace"
would silently put U+FFFD into the answer."""


class StreamCall(Protocol):
    """What a stream needs from the call behind it (``models._StreamCall``)."""

    async def open(self) -> Response:
        """Send the request: the first, a retry, or the current continuation hop."""

    def retry(self, exc: GenAIError, attempt: int) -> float | None:
        """Seconds to wait before another attempt after ``exc`` (before the first chunk), or None;
        the client's one retry rule (``Client._retry_delay``), which also logs the retry."""

    def continue_with(self, token: bytes) -> bool:
        """Make the next :meth:`open` send the continuation hop; False: do not follow."""

    def complete(self, response: GenerateContentResponse) -> None:
        """The stitched response of a completed stream (fills ``parsed``, commits chat turns)."""


class _State(enum.Enum):
    """Where a :class:`ResponseStream` is. Moves: OPENING -> READING -> ENDING -> FINISHED, with
    ENDING -> OPENING for a continuation hop and READING/OPENING -> OPENING for a retry (before the
    request's first chunk); any state -> FAILED (an error left the stream) or CLOSED (the caller
    stopped: ``aclose``, leaving ``async with``, garbage collection). The last three are final."""

    OPENING = "opening"  # no response yet: the request (first, retry or hop) is to be sent
    READING = "reading"  # a 2xx response is being read chunk by chunk
    ENDING = "ending"  # its body ended: the events left are delivered, then the end rules run (_end)
    FINISHED = "finished"  # the answer is complete (the connection went back to the pool)
    FAILED = "failed"
    CLOSED = "closed"


_OPENING, _READING, _ENDING, _FINISHED = _State.OPENING, _State.READING, _State.ENDING, _State.FINISHED
_FAILED, _CLOSED = _State.FAILED, _State.CLOSED  # (module names: the hot path reads a global, not an attribute)
_FINAL = frozenset({_FINISHED, _FAILED, _CLOSED})


class ResponseStream:
    """An async iterator of ``GenerateContentResponse`` chunks that also stitches the final answer.

    Use ``async with client.models.generate_content_stream(...) as stream: async for chunk in
    stream: ...`` and read ``stream.response`` afterwards, or ``async for chunk in await ...`` as
    with the official SDK.
    """

    __slots__ = (
        "_acc",
        "_attempt",
        "_call",
        "_decoder",
        "_endpoint",
        "_events",
        "_final",
        "_hop_start",
        "_on_close",
        "_resp",
        "_settled",
        "_state",
        "__weakref__",
    )

    def __init__(
        self,
        call: StreamCall,
        *,
        endpoint: str,
        on_close: Callable[[bool, GenerateContentResponse | None], Any] | None = None,
    ) -> None:
        """``call`` sends the request and decides retries and continuations (:class:`StreamCall`);
        ``on_close(completed, stopped)`` is called exactly once when the stream closes for any reason
        (also on garbage collection). ``stopped`` is the stitched output delivered so far when the
        caller stopped reading early (``aclose``, leaving ``async with``, garbage collection) after at
        least one chunk; None when the stream completed, failed or was cancelled."""
        self._call = call
        self._endpoint = endpoint
        self._state = _OPENING
        self._resp: Response | None = None  # set exactly while READING or ENDING
        self._decoder = SSEDecoder(max_extra_size=MAX_EXTRA, errors=_UTF8_ERRORS)
        self._events: list[str] = []  # data of the events of the last read not yet delivered, last first
        self._acc = Accumulator()
        self._final: GenerateContentResponse | None = None
        self._attempt = 1
        self._hop_start = 0  # chunks decoded before the current continuation hop began
        self._on_close = on_close
        self._settled = 0  # usage already settled against tokens_per_minute by earlier hops

    # ------------------------------------------------------------------ opening and closing

    def __await__(self) -> Generator[Any, None, ResponseStream]:
        return self._open().__await__()

    async def _open(self) -> ResponseStream:
        """OPENING -> READING (retrying while the policy allows); a no-op in any other state."""
        while self._state is _OPENING:
            try:
                resp = await self._call.open()
            except GenAIError as exc:
                delay = self._retry_delay(exc)
                if delay is None:
                    self._close(_FAILED)
                    raise
                await self._restart(delay)
                continue
            except BaseException:
                self._close(_FAILED)
                raise
            if self._state is not _OPENING:  # aclose() ran (in another task) while the request was on its way
                resp.close()
                raise self._closed_while_waiting()
            self._resp = resp
            self._state = _READING
        return self

    async def __aenter__(self) -> ResponseStream:
        return await self._open()

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        # an exception (a cancellation too) that left the block is a failure, not a stop
        self._close(_CLOSED if exc_type is None else _FAILED)

    async def aclose(self) -> None:
        """Stop reading and release the connection; safe to call any number of times."""
        self._close(_CLOSED)

    def _close(self, state: _State) -> None:
        """Enter the final ``state`` (FINISHED, FAILED or CLOSED) unless already in one: call the
        close hook once, give the connection back (FINISHED: the body was read to its end) or close it."""
        if self._state in _FINAL:
            return
        self._state = state
        self._events = []
        hook, self._on_close = self._on_close, None
        if hook is not None:
            stopped = state is _CLOSED and self._acc.count > 0
            hook(state is _FINISHED, self._acc.result() if stopped else None)
        resp, self._resp = self._resp, None
        if resp is not None:
            if state is _FINISHED:
                resp.release()
            else:
                resp.close()

    def __del__(self) -> None:
        if getattr(self, "_state", _CLOSED) not in _FINAL:
            self._close(_CLOSED)

    # ------------------------------------------------------------------ results

    @property
    def response(self) -> GenerateContentResponse:
        """The stitched response: final once the stream ended, the partial answer before that.

        Raises GenAIError while no chunk has arrived (read before iterating, it would otherwise be
        silently empty)."""
        if self._final is not None:
            return self._final
        if self._acc.count == 0:
            raise GenAIError(
                f"{self._endpoint}: stream.response has no chunk yet ({self._describe()}); iterate the stream "
                "first (async for chunk in stream: ...), then read stream.response"
            )
        return self._acc.result()

    def _describe(self) -> str:
        n = self.chunk_count  # (a ToolStream counts the chunks of every round)
        chunks = f"{n} chunk{'' if n == 1 else 's'}"
        state = self._state
        if state is _FINISHED:
            return f"finished, {chunks}"
        if state in _FINAL:
            return f"closed before the end, {chunks}"
        if state is _OPENING and n == 0:
            return "not started"
        return f"open, {chunks} so far"

    def __repr__(self) -> str:
        return f"<genai_async.ResponseStream {self._endpoint}: {self._describe()}>"

    def _repr_markdown_(self) -> str:
        """Notebook display: the stream's state, then the answer so far."""
        head = f"*stream {self._endpoint}: {self._describe()}*"
        if self.chunk_count == 0:
            return head
        from ._display import response_markdown

        return f"{head}\n\n{response_markdown(self.response)}"

    @property
    def chunk_count(self) -> int:
        """How many chunks were decoded so far."""
        return self._acc.count

    # ------------------------------------------------------------------ iteration

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> GenerateContentResponse:
        """The next chunk: deliver what the last read left, else act on the state."""
        while True:
            try:
                if self._events:  # the rest of a read that held several events (READING or ENDING)
                    return self._deliver(self._events.pop())
                state = self._state
                if state is _READING:
                    resp = self._resp
                    assert resp is not None  # (set exactly while READING or ENDING)
                    try:
                        data = await resp.read_chunk()  # only read once the last batch is delivered
                    except GenAIError as exc:
                        if self._state is not _READING:  # this stream's aclose() (in another task) ended the read
                            raise self._closed_while_waiting() from exc
                        raise
                    if data:
                        one = self._decoder._one_event(data)
                        # the commonest read: exactly one event, no list; buys ~2 % per chunk (measured:
                        # 111.6k/111.8k instructions per chunk with it, 114.8k/113.4k with _feed_data
                        # alone, benchmarks/instructions.py --shape stream)
                        if one is not None:
                            return self._deliver(one)
                        self._events = self._decoder._feed_data(data)[::-1]
                    else:
                        self._at_eof()  # -> ENDING
                elif state is _OPENING:
                    await self._open()  # -> READING
                elif state is _ENDING:
                    self._end()  # -> FINISHED, or OPENING for a continuation hop
                else:  # FINISHED, FAILED, CLOSED
                    break
            except GenAIError as exc:
                if self._resp is not None:  # (errors of opening were scrubbed by the transport)
                    scrub(exc, self._resp.settings.api_key)  # a server can echo the key in what it sends
                    traceback.clear_frames(exc.__traceback__)  # nor may the locals of a formatted traceback
                    data, one = b"", None  # (this frame's own locals)
                delay = self._retry_delay(exc)
                if delay is None:
                    raise self._fail(exc)  # noqa: B904 - the same error, its cause kept
                await self._restart(delay)
            except SSEError as exc:
                raise self._fail(StreamError(f"{self._endpoint}: {exc}")) from exc
            except BaseException:
                self._close(_FAILED)
                raise
        raise StopAsyncIteration  # closed, or the end of the answer (already released)

    def _deliver(self, text: str) -> GenerateContentResponse:
        """One event's data -> the chunk handed to the caller (decoded once, folded into the answer)."""
        try:
            # straight from the event text, no dict; the decoder is built off the loop with the aiohttp
            # import (_client._prepare). Looking it up per chunk costs under 1 % of a chunk (measured:
            # a decoder rebound into a global after the first chunk gave 111.0k vs 111.6k instructions
            # per chunk, benchmarks/instructions.py --shape stream, within that shape's noise).
            chunk = decoder(GenerateContentResponse).decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            self._raise_if_error(text)
            if isinstance(exc, RecursionError):  # msgspec's error for JSON nested too deeply
                raise self._invalid(text, too_deep()) from None
            raise self._invalid(text, exc) from exc
        except UnicodeEncodeError as exc:  # lone surrogates: bytes that were not UTF-8 (_UTF8_ERRORS)
            raise self._not_utf8(exc) from exc
        if chunk.candidates is None and chunk.usage_metadata is None and chunk.prompt_feedback is None:
            self._raise_if_error(text)  # an in-band {"error": ...} decodes to an empty chunk
        self._acc.add(chunk)
        return chunk

    def _closed_while_waiting(self) -> StreamError:
        return StreamError(
            f"{self._endpoint}: the stream was closed with aclose() while it waited for the server "
            f"(after {self._acc.count} chunks)"
        )

    def _invalid(self, data: str, exc: Exception) -> StreamError:
        return StreamError(
            f"{self._endpoint}: event {self._acc.count + 1} is not a valid response ({exc}); "
            f"data starts {data[:_EXCERPT]!r}"
        )

    def _not_utf8(self, exc: UnicodeEncodeError) -> StreamError:
        return StreamError(
            f"{self._endpoint}: event {self._acc.count + 1} is invalid UTF-8 (the service sends UTF-8: the "
            f"bytes were corrupted on the way, e.g. by a proxy); {exc.reason} at character {exc.start}"
        )

    def _retry_delay(self, exc: GenAIError) -> float | None:
        """Whether to try again: only before the first chunk of the request (the first, or the current
        continuation hop) was decoded, so output is never replayed, under the one attempt budget that
        opening and restarting that request share."""
        exc.attempts = self._attempt
        if self._state in _FINAL or self._acc.count > self._hop_start:
            return None
        return self._call.retry(exc, self._attempt)

    async def _restart(self, delay: float) -> None:
        """-> OPENING for the next attempt of the same request (the retry was logged by the rule)."""
        resp, self._resp = self._resp, None
        if resp is not None:
            resp.close()
        self._decoder = SSEDecoder(max_extra_size=MAX_EXTRA, errors=_UTF8_ERRORS)
        self._events = []
        self._state = _OPENING
        self._attempt += 1
        await asyncio.sleep(delay)

    def _raise_if_error(self, text: str) -> None:
        """Raise the APIError when ``text`` is a JSON error envelope (either in-band shape)."""
        error = inband_error(text, endpoint=self._endpoint)  # errors.is_envelope: the one recognition
        if error is not None:
            raise error

    def _at_eof(self) -> None:
        """READING -> ENDING: the body ended; its unterminated last event is delivered when whole."""
        self._state = _ENDING
        self._decoder.close()
        pending = self._decoder.unterminated
        if pending is not None:  # an event without its blank line: whole JSON is a chunk, anything else was cut
            try:
                decode_json(pending.data)
            except TooDeep:
                pass  # whole, but too deep to decode: reported as an invalid event by _deliver
            except UnicodeEncodeError as exc:
                raise self._not_utf8(exc) from exc
            except ValueError:
                raise StreamError(
                    f"{self._endpoint}: the stream ended inside an event (cut JSON after "
                    f"{self._acc.count} chunks): {pending.data[-_EXCERPT:]!r}"
                ) from None
            self._events = [pending.data]

    def _end(self) -> None:
        """ENDING, every event delivered: raise, go on with a continuation hop (-> OPENING), or
        finish (-> FINISHED)."""
        decoder = self._decoder
        extra = "\n".join(decoder.extra_lines).strip() if decoder.extra_lines else ""
        if decoder.extra_dropped:  # more than the kept excerpt: never an error envelope
            raise StreamError(
                f"{self._endpoint}: the stream carried {decoder.extra_size} bytes outside SSE framing; "
                f"they start {extra[:_EXCERPT]!r}"
            )
        if extra:
            self._raise_if_error(extra)
            raise StreamError(f"{self._endpoint}: the stream carried data outside SSE framing: {extra[:_EXCERPT]!r}")
        if self._acc.count == 0:
            raise StreamError(f"{self._endpoint}: HTTP 200 with an empty body (no chunk at all)")
        unfinished = self._acc.unfinished
        if unfinished and not self._acc.blocked:
            raise StreamError(
                f"{self._endpoint}: the stream ended after {self._acc.count} chunks but candidate(s) "
                f"{unfinished} never got a finishReason; the answer is truncated (partial kept on .partial)"
            )
        token = self._acc.continuation()
        ticket = self._resp.usage_ticket if self._resp is not None else None
        if ticket is not None:  # tokens_per_minute: this request's estimate becomes its true usage
            self._settle(ticket)
        if token is not None and self._call.continue_with(token):
            self._next_hop()
            return
        final = self._acc.result()
        self._call.complete(final)
        self._final = final
        self._close(_FINISHED)

    def _settle(self, ticket: Ticket) -> None:
        """Settle the current request's token estimate with its usage (hops count their own part)."""
        usage = self._acc.result().usage_metadata
        total = getattr(usage, "total_token_count", None)
        if isinstance(total, int):
            ticket.settle(max(0, total - self._settled))
            self._settled = total

    def _next_hop(self) -> None:
        """ENDING -> OPENING for the continuation hop (the hop rules, MAX_HOPS too: Accumulator.next_hop)."""
        self._acc.next_hop(self._endpoint)
        resp, self._resp = self._resp, None
        if resp is not None:
            resp.release()
        self._hop_start = self._acc.count
        self._attempt = 1  # a hop is a request of its own, with its own attempts (as unary hops are)
        self._decoder = SSEDecoder(max_extra_size=MAX_EXTRA, errors=_UTF8_ERRORS)
        self._state = _OPENING

    def _fail(self, exc: GenAIError) -> GenAIError:
        """Close the connection and attach what was stitched so far to the error."""
        reading = self._resp is not None  # a failure to connect stays a ConnectionError
        self._close(_FAILED)
        if reading and isinstance(exc, ConnectionError):
            cut = StreamError(f"{exc.message} (after {self._acc.count} chunks)")
            cut.__cause__ = exc
            cut.attempts = exc.attempts
            exc = cut
        if self._acc.count and getattr(exc, "partial", None) is None:
            exc.partial = self._acc.result()  # type: ignore[attr-defined]
        return exc
