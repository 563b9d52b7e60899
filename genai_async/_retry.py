"""When to retry a failed request, and how long to wait first. Pure: no I/O, no clock.

Decisions (the README's "Retries" table says the same to users):
- On by default: 5 attempts in all, exponential backoff (1 s, 2 s, 4 s... capped at 60 s) with
  *full jitter* (the wait is drawn uniformly from [0, backoff]), so many clients that failed
  together do not retry together. ``jitter=0`` gives the plain exponential wait.
- The server's hint wins over our backoff: ``RetryInfo.retryDelay`` in the error details, else a
  ``Retry-After`` header (seconds or an HTTP date). A hint longer than ``max_delay`` is not
  shortened: waiting less than asked only burns an attempt, so the error surfaces at once. A quota
  whose id says ``PerDay`` is not retried either.
- Retried: HTTP 408, 429, 500, 502, 503, 504; connection failures where the request provably did
  not reach the server (connect refused/timed out); for idempotent methods (GET, DELETE, PUT,
  PATCH) also a reset or silence after the request was sent. A POST whose connection dropped after
  it was sent is NOT retried: generation may already be running (and billed) server-side, and a
  second attempt would pay for it twice. Never retried: other 4xx, stream errors.
- Streams are retried only before their first chunk was yielded; delivered output is never replayed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from random import Random
from typing import Any

from ._normalize import option
from .errors import APIError, ConfigurationError, GenAIError, TransportError

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "PUT", "PATCH", "OPTIONS"})


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and the backoff between them."""

    attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 60.0
    exp_base: float = 2.0
    jitter: float = 1.0
    statuses: frozenset[int] = RETRY_STATUSES

    def backoff(self, attempt: int, rng: Random) -> float:
        """Our own wait after failed attempt number ``attempt`` (1-based), jittered."""
        ceiling = min(self.max_delay, self.initial_delay * self.exp_base ** (attempt - 1))
        return ceiling - rng.uniform(0.0, ceiling * min(max(self.jitter, 0.0), 1.0))

    def delay(self, exc: GenAIError, attempt: int, method: str, rng: Random, now: float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None when ``exc`` must surface now."""
        if attempt >= self.attempts or not self.retryable(exc, method):
            return None
        hint = server_hint(exc, time.time() if now is None else now)
        if hint is not None:
            return hint if hint <= self.max_delay else None
        return self.backoff(attempt, rng)

    def retryable(self, exc: GenAIError, method: str) -> bool:
        """Whether ``exc`` may be retried at all (before any output was delivered)."""
        if isinstance(exc, APIError):
            return exc.code in self.statuses and not _per_day_quota(exc)
        if isinstance(exc, TransportError):
            return not exc.request_sent or method.upper() in IDEMPOTENT
        return False


def server_hint(exc: GenAIError, now: float) -> float | None:
    """The wait the server asked for: RetryInfo first, then a Retry-After header."""
    if not isinstance(exc, APIError):
        return None
    if exc.retry_delay is not None:
        return max(exc.retry_delay, 0.0)
    value = exc.headers.get("retry-after") or exc.headers.get("Retry-After")
    return parse_retry_after(value, now) if value else None


def parse_retry_after(value: str, now: float) -> float | None:
    """``Retry-After``: delta seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils  # rare path: keep it off `import genai_async`

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _per_day_quota(exc: APIError) -> bool:
    for detail in exc.details:
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("QuotaFailure"):
            for violation in detail.get("violations") or ():
                if "PerDay" in str(violation.get("quotaId", "")):
                    return True
    return False


_KEYS = ("attempts", "initial_delay", "max_delay", "exp_base", "jitter", "http_status_codes")
"""The official SDK's ``HttpRetryOptions`` fields: the keys a retry dict may use (either spelling)."""


def policy_from(value: Any, what: str = "retry") -> RetryPolicy | None:
    """``retry=`` argument or ``http_options.retry_options`` -> a policy (None = no retries).

    Accepts True/None (defaults), False or 0 (off), a :class:`RetryPolicy`, or the official SDK's
    ``HttpRetryOptions`` (or its dict form: attempts, initial_delay, max_delay, exp_base, jitter,
    http_status_codes; ``attempts`` counts the first try, so 0 or 1 is off). Anything else, an
    unknown key included, is a ConfigurationError (``retry="yes"`` or ``{"max_retries": 0}`` must
    not silently mean the default five attempts).
    """
    if value is None or value is True:
        return RetryPolicy()
    if value is False or (type(value) is int and value == 0):
        return None
    if isinstance(value, RetryPolicy):
        return value
    if isinstance(value, (int, float)):
        raise ConfigurationError(
            f"{what}={value!r} is ambiguous: pass {what}=False (or 0) to turn retries off, or "
            f"{what}={{'attempts': N}} for N attempts in all, the first one included"
        )
    if isinstance(value, Mapping):
        _check_keys(value, what)
    elif not any(hasattr(value, name) for name in _KEYS):  # an HttpRetryOptions of ours or the SDK's
        raise ConfigurationError(
            f"{what}={value!r:.60} is not a retry setting: pass True or False, a dict such as "
            "{'attempts': 3, 'initial_delay': 1.0}, types.HttpRetryOptions(...) or a RetryPolicy"
        )
    fields: dict[str, Any] = {}
    for name in _KEYS[:-1]:
        v = option(value, name)
        if v is not None:
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ConfigurationError(f"{what}.{name} must be a non-negative number, got {v!r}")
            fields[name] = int(v) if name == "attempts" else float(v)
    codes = option(value, "http_status_codes")
    if codes is not None:
        if not isinstance(codes, (list, tuple, set, frozenset)) or not all(
            type(c) is int and 100 <= c <= 599 for c in codes
        ):
            raise ConfigurationError(f"{what}.http_status_codes must be a list of HTTP status ints, got {codes!r}")
        fields["statuses"] = frozenset(codes)
    policy = RetryPolicy(**fields)
    return policy if policy.attempts > 1 else None


def _check_keys(options: Mapping[Any, Any], what: str) -> None:
    from ._normalize import unknown_key

    spellings = {name: name for name in _KEYS}
    for name in _KEYS:
        head, *rest = name.split("_")
        spellings[head + "".join(p.title() for p in rest)] = name
    for key in options:
        if key not in spellings:
            raise unknown_key(key, what, _KEYS, "retry options")


def retry_message(method: str, endpoint: str, delay: float, attempt: int, exc: GenAIError) -> str:
    """The INFO line logged before a retry: what failed, why, and the wait (never the key)."""
    if isinstance(exc, APIError):
        reason = f"HTTP {exc.code} {exc.status or ''}".strip()
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return f"retrying {method} {endpoint} in {delay:.2f}s (attempt {attempt} failed: {reason})"
