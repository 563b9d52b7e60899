"""The retry policy, pure: which errors retry, how long to wait, server hints and caps."""

from __future__ import annotations

import email.utils
from random import Random

import pytest

from genai_async import errors
from genai_async._retry import RetryPolicy, parse_retry_after, policy_from
from genai_async.errors import api_error
from tests.conftest import fixture_bytes

RNG = Random(0)


def api(code: int, headers: dict[str, str] | None = None, body: bytes = b"{}") -> errors.APIError:
    return api_error(code, body, reason="r", endpoint="e", headers=headers)


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(code: int) -> None:
    assert RetryPolicy().delay(api(code), 1, "POST", RNG) is not None


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 501])
def test_never_retried_statuses(code: int) -> None:
    assert RetryPolicy().delay(api(code), 1, "POST", RNG) is None


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(attempts=3)
    assert policy.delay(api(503), 2, "POST", RNG) is not None
    assert policy.delay(api(503), 3, "POST", RNG) is None


def test_full_jitter_stays_within_exponential_ceiling() -> None:
    policy = RetryPolicy(initial_delay=1, exp_base=2, max_delay=5)
    rng = Random(1)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 5), (9, 5)]:
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8 and min(waits) < ceiling * 0.2
    assert RetryPolicy(jitter=0).backoff(3, rng) == 4


def test_retry_info_wins_over_backoff() -> None:
    exc = api(429, body=fixture_bytes("error_429.json"))
    assert RetryPolicy().delay(exc, 1, "POST", RNG) == 37.0


def test_hint_longer_than_cap_gives_up() -> None:
    exc = api(429, body=fixture_bytes("error_429.json"))
    assert RetryPolicy(max_delay=10).delay(exc, 1, "POST", RNG) is None


def test_per_day_quota_is_not_retried() -> None:
    body = fixture_bytes("error_429.json").replace(b"PerMinute", b"PerDay")
    assert RetryPolicy().delay(api(429, body=body), 1, "POST", RNG) is None


def test_retry_after_seconds_and_http_date() -> None:
    assert RetryPolicy().delay(api(503, {"retry-after": "3"}), 1, "POST", RNG) == 3.0
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(10)
    assert parse_retry_after("soon", now=0) is None


def test_connection_errors_depend_on_whether_the_request_was_sent() -> None:
    not_sent = errors.ConnectionError("refused", request_sent=False)
    sent = errors.ConnectionError("reset")
    policy = RetryPolicy()
    assert policy.delay(not_sent, 1, "POST", RNG) is not None
    assert policy.delay(sent, 1, "POST", RNG) is None
    assert policy.delay(sent, 1, "GET", RNG) is not None
    assert policy.delay(errors.StreamError("cut"), 1, "GET", RNG) is None


def test_policy_from_official_shapes() -> None:
    assert policy_from(False) is None
    assert policy_from({"attempts": 1}) is None
    assert policy_from(None) == RetryPolicy()
    p = policy_from({"attempts": 3, "initialDelay": 0.5, "http_status_codes": [503]})
    assert p is not None and p.attempts == 3 and p.initial_delay == 0.5 and p.statuses == {503}
    with pytest.raises(errors.ConfigurationError):
        policy_from({"attempts": -1})
