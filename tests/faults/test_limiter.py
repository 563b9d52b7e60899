"""Per-minute limits hold in every 60-second window (issue 15, item 5).

A fake clock drives :class:`SlidingWindow`: its ``sleep`` advances the clock, so minutes of
arrivals run in microseconds and the checks are exact. Over random arrival patterns (bursts,
spreads, pauses) and random sizes, no window ``[t, t + 60)`` ever holds more than the limit; and
nothing waits longer than needed (a request that goes late found the window full just before).
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_async import errors
from genai_async._limits import WINDOW, SlidingWindow, Ticket
from tests.waiting import FakeClock


def _window(limit: float, clock: FakeClock) -> SlidingWindow:
    return SlidingWindow(limit, clock=clock, sleep=clock.sleep)


def _worst_window(grants: list[tuple[float, float]]) -> float:
    """The most any half-open 60 s window holds (the worst window starts at a grant)."""
    return max(sum(a for t, a in grants if start <= t < start + WINDOW) for start, _ in grants)


def _held(grants: list[tuple[float, float]], at: float) -> float:
    """What the grants before ``at`` still hold in the window at ``at``."""
    return sum(a for t, a in grants if t <= at < t + WINDOW)


arrivals = st.lists(
    st.tuples(st.floats(0, 90, allow_nan=False), st.integers(1, 100)),  # (gap before it, size)
    min_size=1,
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 400), plan=arrivals, zero_gaps=st.booleans())
def test_no_window_ever_holds_more_than_the_limit(limit: int, plan: list[tuple[float, int]], zero_gaps: bool) -> None:
    async def run() -> list[tuple[float, float]]:
        clock = FakeClock()
        window = _window(limit, clock)
        grants: list[tuple[float, float]] = []
        arrival = 0.0
        for gap, size in plan:
            arrival += 0.0 if zero_gaps else gap  # zero gaps: one burst of everything at once
            clock.now = max(clock.now, arrival)
            amount = min(size, limit)
            before = clock.now
            ticket = await window.take(amount)
            grants.append((ticket.at, amount))
            if ticket.at > before:  # it waited: just before it went, the window had no room for it
                assert _held(grants[:-1], ticket.at) + amount <= limit + 1e-6
                assert _held(grants[:-1], ticket.at - 1e-6) + amount > limit - 1e-6  # and not before
        return grants

    grants = asyncio.run(run())
    assert _worst_window(grants) <= limit + 1e-6


def test_the_report_case_requests_per_minute_60_lets_60_through_in_the_first_minute() -> None:
    async def run() -> tuple[int, float]:
        clock = FakeClock()
        window = _window(60, clock)
        went = 0
        while clock.now < WINDOW:
            await window.take(1)
            went += clock.now < WINDOW
        return went, clock.now

    went, _ = asyncio.run(run())
    assert went == 60  # the token bucket let 119 through


def test_tokens_per_minute_10000_lets_at_most_10000_estimated_tokens_through_per_minute() -> None:
    async def run() -> list[tuple[float, float]]:
        clock = FakeClock()
        window = _window(10_000, clock)
        grants = []
        while clock.now < 3 * WINDOW:
            ticket = await window.take(333)
            grants.append((ticket.at, ticket.amount))
            clock.now += 0.5
        return grants

    assert _worst_window(asyncio.run(run())) <= 10_000  # the token bucket let 19,247 through


def test_settling_with_the_true_usage_moves_the_budget() -> None:
    async def run() -> None:
        clock = FakeClock()
        window = _window(1000, clock)
        ticket: Ticket = await window.take(100)  # estimated 100 tokens
        ticket.settle(900)  # the answer used 900
        assert window.used == 900
        clock.now = 10.0
        await window.take(200)  # 900 + 200 > 1000: waits until the first leaves, at 60 s
        assert clock.now == pytest.approx(WINDOW)
        lighter = await window.take(100)
        lighter.settle(10)  # the true count was lower: room comes back at once
        assert window.used == pytest.approx(210)
        window.add(50)  # reported from elsewhere
        assert window.used == pytest.approx(260)
        clock.now = 200.0
        lighter.settle(20)  # settling after the ticket left the window changes nothing
        assert window.used == 0

    asyncio.run(run())


def test_a_request_bigger_than_the_whole_limit_waits_for_an_empty_window_and_goes_alone() -> None:
    async def run() -> None:
        clock = FakeClock()
        window = _window(100, clock)
        await window.take(30)
        clock.now = 5.0
        await window.take(500)
        assert clock.now == pytest.approx(WINDOW)  # the 30 had to leave first
        clock.now += 1
        await window.take(1)  # and nothing goes with it in its window
        assert clock.now == pytest.approx(2 * WINDOW)

    asyncio.run(run())


@pytest.mark.parametrize("bad", [0, -1, float("nan"), True, "60"])
def test_a_limit_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises(errors.ConfigurationError):
        SlidingWindow(bad)  # type: ignore[arg-type]
