"""The silence watchdog's rules, on a fake clock and a fake scheduler (no loop, no socket, no sleep).

What the rules are is in genai_async/_watchdog.py's docstring; the real-socket behaviour (headers
that never come, a stream that goes quiet, a busy loop) is tested in tests/integration/test_stream.py
and tests/faults/. Readers here are stand-ins with aiohttp's reader surface (``_buffer``,
``is_eof``, ``exception``, ``set_exception``), which tests/faults/test_aiohttp_contract.py pins.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from genai_async._watchdog import HeaderWait, Watchdog, arrived


class FakeHandle:
    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """The two scheduling calls the watchdog makes, against a clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[FakeHandle] = []
        self.soon: list[tuple[Callable[..., object], tuple[Any, ...]]] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object]) -> FakeHandle:
        handle = FakeHandle(self.now + delay, callback)
        self.timers.append(handle)
        return handle

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        self.soon.append((callback, args))

    @property
    def armed(self) -> list[float]:
        """When the live (not cancelled, not yet run) timers are due."""
        return [h.when for h in self.timers if not h.cancelled]

    def advance(self, to: float) -> None:
        """Move the clock to ``to``; run the timers due by then, then one turn of call_soon callbacks."""
        self.fire(to)
        self.run_soon()

    def fire(self, to: float) -> None:
        """Move the clock to ``to`` and run the timers due by then (their call_soon callbacks wait)."""
        self.now = to
        for handle in [h for h in self.timers if not h.cancelled and h.when <= to]:
            self.timers.remove(handle)
            handle.callback()

    def run_soon(self) -> None:
        soon, self.soon = self.soon, []
        for callback, args in soon:
            callback(*args)


class FakeReader:
    """An aiohttp reader (StreamReader or ResponseHandler) reduced to what the watchdog looks at."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None

    def is_eof(self) -> bool:
        return self.eof

    def exception(self) -> BaseException | None:
        return self.error

    def set_exception(self, exc: BaseException) -> None:
        self.error = exc


class FakeClientResponse:
    def __init__(self) -> None:
        self.content = FakeReader()


class FakeResponse:
    """What the watchdog reads of the transport's Response."""

    def __init__(self, timeout: float | None) -> None:
        self._resp = FakeClientResponse()
        self._waiting = 0.0
        self.settings = SimpleNamespace(timeout=timeout)  # the one setting the watchdog reads

    def close(self) -> None:
        pass


@pytest.fixture
def loop() -> FakeLoop:
    return FakeLoop()


@pytest.fixture
def dog(loop: FakeLoop) -> Watchdog:
    return Watchdog(clock=loop.time, loop=loop)  # type: ignore[arg-type]


def header_wait(dog: Watchdog, task: object, timeout: float) -> HeaderWait:
    wait = HeaderWait(dog, timeout)
    dog.waits[task] = wait
    return wait


def test_a_header_wait_counts_only_once_the_request_is_out(loop: FakeLoop, dog: Watchdog) -> None:
    wait = header_wait(dog, "t", 10)
    assert loop.armed == []  # waiting for a connection: nothing to watch
    loop.now = 105.0
    target = FakeReader()
    wait.sent(target)
    assert loop.armed == [115.0]  # the silence limit counts from the moment the request is out


def test_one_timer_at_the_earliest_deadline(loop: FakeLoop, dog: Watchdog) -> None:
    header_wait(dog, "a", 10).sent(FakeReader())
    header_wait(dog, "b", 20).sent(FakeReader())  # due later: the timer stays
    assert loop.armed == [110.0]
    header_wait(dog, "c", 5).sent(FakeReader())  # due earlier: the timer moves
    assert loop.armed == [105.0]
    assert len(loop.timers) == 2 and loop.timers[0].cancelled


def test_before_the_deadline_nothing_fails_and_the_timer_rearms(loop: FakeLoop, dog: Watchdog) -> None:
    target = FakeReader()
    header_wait(dog, "a", 10).sent(target)
    dog.watch(104.0)  # woken early (as after an earlier wait that went away)
    loop.advance(104.0)
    assert target.error is None and "a" in dog.waits
    assert loop.armed == [110.0]


def test_a_silent_header_wait_fails_like_sock_read(loop: FakeLoop, dog: Watchdog) -> None:
    target = FakeReader()
    header_wait(dog, "a", 10).sent(target)
    loop.advance(110.0)
    assert isinstance(target.error, aiohttp.ServerTimeoutError)
    assert "no response for 10" in str(target.error)
    assert "a" not in dog.waits  # the request's own finally finds it gone


@pytest.mark.parametrize("what", ["data", "eof", "error"])
def test_what_arrived_during_a_late_timer_wins(loop: FakeLoop, dog: Watchdog, what: str) -> None:
    """A busy loop runs the timer in the same turn as the bytes: the wait is watched again, not failed."""
    target = FakeReader()
    header_wait(dog, "a", 10).sent(target)
    loop.now = 130.0  # the timer runs 20 s late
    dog._check_silence()
    assert loop.soon  # overdue: failed one turn later at the earliest
    reset = ConnectionResetError()
    if what == "data":
        target._buffer += b"HTTP/1.1 200 OK\r\n"
    elif what == "eof":
        target.eof = True
    else:
        target.error = reset
    loop.run_soon()
    assert target.error is (reset if what == "error" else None)
    assert "a" in dog.waits
    assert 140.0 in loop.armed  # watched again from now


def test_a_wait_that_moved_on_is_not_failed(loop: FakeLoop, dog: Watchdog) -> None:
    first = FakeReader()
    wait = header_wait(dog, "a", 10)
    wait.sent(first)
    loop.now = 110.0
    dog._check_silence()
    second = FakeReader()
    loop.now = 110.5
    wait.sent(second)  # the headers came; now the error body is watched, from a new start
    loop.run_soon()
    assert first.error is None and second.error is None
    del dog.waits["a"]
    loop.now = 111.0
    dog._check_silence()
    loop.run_soon()  # the request finished and its wait is gone: nothing to fail
    assert second.error is None


def test_a_body_read_counts_only_while_pending(loop: FakeLoop, dog: Watchdog) -> None:
    resp = FakeResponse(timeout=10)
    dog.live.add(resp)
    loop.advance(100.0)
    dog._check_silence()  # no read pending: due ten seconds from now at the earliest
    assert loop.armed == [110.0]
    loop.advance(110.0)  # still no read pending: a slow reader is not a silent server
    assert resp._resp.content.error is None
    assert loop.armed == [120.0]
    resp._waiting = 112.0
    loop.advance(120.0)
    assert resp._resp.content.error is None  # eight seconds of silence only
    assert loop.armed == [122.0]
    loop.advance(122.0)
    error = resp._resp.content.error
    assert isinstance(error, aiohttp.ServerTimeoutError) and "no data for 10.0s" in str(error)


def test_a_body_read_that_got_data_is_watched_again(loop: FakeLoop, dog: Watchdog) -> None:
    resp = FakeResponse(timeout=10)
    resp._waiting = 100.0
    dog.live.add(resp)
    dog.watch(110.0)
    loop.now = 115.0
    dog._check_silence()
    resp._resp.content._buffer += b"data: {}\r\n\r\n"  # came in the same late turn
    loop.run_soon()
    assert resp._resp.content.error is None and 125.0 in loop.armed


def test_a_read_that_ended_before_the_expiry_turn_is_left_alone(loop: FakeLoop, dog: Watchdog) -> None:
    resp = FakeResponse(timeout=10)
    resp._waiting = 100.0
    dog.live.add(resp)
    loop.now = 110.0
    dog._check_silence()
    resp._waiting = 0.0  # the read returned meanwhile
    loop.run_soon()
    assert resp._resp.content.error is None
    resp._waiting = 110.0  # and the next one started: a different wait
    loop.run_soon()
    assert resp._resp.content.error is None


def test_responses_without_a_silence_limit_are_passed_by(loop: FakeLoop, dog: Watchdog) -> None:
    resp = FakeResponse(timeout=None)
    resp._waiting = 1.0
    dog.live.add(resp)
    loop.now = 10_000.0
    dog._check_silence()
    assert loop.soon == [] and loop.armed == []


def test_a_closed_watchdog_fails_nothing_and_cancels_its_timer(loop: FakeLoop, dog: Watchdog) -> None:
    target = FakeReader()
    header_wait(dog, "a", 10).sent(target)
    loop.fire(110.0)
    assert loop.soon  # the expiry is on its way
    dog.watch(150.0)
    assert loop.armed == [150.0]
    dog.close()  # (the transport's aclose ends every wait itself)
    loop.run_soon()
    assert target.error is None
    assert loop.armed == []


def test_arrived_reads_buffer_end_and_error() -> None:
    reader = FakeReader()
    assert not arrived(reader)
    reader._buffer += b"x"
    assert arrived(reader)
    reader = FakeReader()
    reader.eof = True
    assert arrived(reader)
    reader = FakeReader()
    reader.error = ConnectionResetError()
    assert arrived(reader)
