"""The status -> error table, envelope parsing and retry hints (pure)."""

from __future__ import annotations

import builtins

import pytest

from genai_async import errors
from genai_async._transport import api_error
from tests.conftest import fixture_bytes


@pytest.mark.parametrize(
    ("name", "klass", "code", "status"),
    [
        ("error_400.json", errors.ClientError, 400, "INVALID_ARGUMENT"),
        ("error_400_bad_request.json", errors.ClientError, 400, "INVALID_ARGUMENT"),
        ("error_403.json", errors.ClientError, 403, "PERMISSION_DENIED"),
        ("error_404.json", errors.ClientError, 404, "NOT_FOUND"),
        ("error_429.json", errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
        ("error_500.json", errors.ServerError, 500, "INTERNAL"),
        ("error_503.json", errors.ServerError, 503, "UNAVAILABLE"),
        ("error_504.json", errors.ServerError, 504, "DEADLINE_EXCEEDED"),
    ],
)
def test_envelopes_map_to_classes(name: str, klass: type, code: int, status: str) -> None:
    exc = api_error(code, fixture_bytes(name), reason="x", endpoint="models/m:generateContent")
    assert type(exc) is klass
    assert (exc.code, exc.status) == (code, status)
    assert exc.message and exc.message in str(exc)
    assert "models/m:generateContent" in str(exc)


def test_retry_info_is_parsed() -> None:
    exc = api_error(429, fixture_bytes("error_429.json"), reason="Too Many Requests", endpoint="e")
    assert exc.retry_delay == 37.0
    assert any("QuotaFailure" in d["@type"] for d in exc.details)


def test_html_502_gives_excerpt() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>" + b"x" * 5000
    exc = api_error(502, html, reason="Bad Gateway", endpoint="e")
    assert isinstance(exc, errors.ServerError)
    assert exc.code == 502 and exc.status == "Bad Gateway"
    assert "Bad Gateway" in exc.message and "<" not in exc.message
    assert len(exc.message) <= 512


def test_single_element_array_is_unwrapped() -> None:
    exc = api_error(400, b'[{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}]', reason=None, endpoint="e")
    assert exc.message == "bad" and exc.status == "INVALID_ARGUMENT"


@pytest.mark.parametrize(("value", "seconds"), [("37s", 37.0), ("45.837906927s", 45.837906927), ("1.5s", 1.5), ("x", None), (None, None)])
def test_parse_duration(value: object, seconds: float | None) -> None:
    assert errors.parse_duration(value) == seconds


def test_error_classes_inherit_builtins() -> None:
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert issubclass(errors.ConnectionError, builtins.ConnectionError)
    assert issubclass(errors.ConfigurationError, ValueError)
    for name in errors.__all__:
        klass = getattr(errors, name)
        assert issubclass(klass, errors.GenAIError) and klass.__doc__
