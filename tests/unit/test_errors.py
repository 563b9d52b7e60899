"""The status -> error table, envelope parsing and retry hints (pure)."""

from __future__ import annotations

import builtins

import pytest

from genai_async import errors
from genai_async.errors import api_error
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
    exc = api_error(
        400, b'[{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}]', reason=None, endpoint="e"
    )
    assert exc.message == "bad" and exc.status == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("value", "seconds"), [("37s", 37.0), ("45.837906927s", 45.837906927), ("1.5s", 1.5), ("x", None), (None, None)]
)
def test_parse_duration(value: object, seconds: float | None) -> None:
    assert errors.parse_duration(value) == seconds


def test_error_classes_inherit_builtins() -> None:
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert issubclass(errors.ConnectionError, builtins.ConnectionError)
    assert issubclass(errors.ConfigurationError, ValueError)
    for name in errors.__all__:
        klass = getattr(errors, name)
        assert issubclass(klass, errors.GenAIError) and klass.__doc__


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"code": 503}}, True),
        ({"candidates": [], "error": {"code": 503}}, True),  # the error key wherever it sits (§5.7)
        ({"error": "boom"}, True),
        ({"candidates": []}, False),
        ([{"error": {"code": 400}}], False),  # the one-element array is an HTTP body shape, unwrapped by the caller
        ("error", False),
        (None, False),
    ],
)
def test_is_envelope_is_the_one_rule(body: object, expected: bool) -> None:
    assert errors.is_envelope(body) is expected


def test_inband_error_uses_the_code_and_status() -> None:
    exc = errors.inband_error(
        '{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}', endpoint="e"
    )
    assert isinstance(exc, errors.ServerError)
    assert (exc.code, exc.status, exc.message, exc.endpoint) == (503, "UNAVAILABLE", "overloaded", "e")


def test_inband_error_without_a_numeric_code_is_a_server_error() -> None:
    exc = errors.inband_error('{"error": {"code": "x", "message": "m"}}', endpoint="e")
    assert isinstance(exc, errors.ServerError) and exc.code == 500 and exc.message == "m"


@pytest.mark.parametrize("text", ['{"candidates": []}', "not json", "[1, 2]", '[{"error": {"code": 400}}]', ""])
def test_inband_error_is_none_for_anything_else(text: str) -> None:
    assert errors.inband_error(text, endpoint="e") is None


def test_http_and_inband_bodies_give_the_same_error() -> None:
    raw = b'{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'
    http = api_error(429, raw, reason="Too Many Requests", endpoint="e")
    inband = errors.inband_error(raw.decode(), endpoint="e")
    assert inband is not None
    assert (type(http), http.code, http.status, http.message) == (
        type(inband),
        inband.code,
        inband.status,
        inband.message,
    )
