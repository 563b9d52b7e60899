"""Client settings: key precedence, base URL rules, time limits, and no key in any repr."""

from __future__ import annotations

import pytest

import genai_async
from genai_async import errors
from genai_async._normalize import camel, option, snake
from genai_async._options import is_loopback, redact_url


def test_key_precedence_google_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert genai_async.Client()._settings.api_key == "gemini-key"
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    assert genai_async.Client()._settings.api_key == "google-key"
    assert genai_async.Client(api_key="arg")._settings.api_key == "arg"


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(errors.ConfigurationError, match="GEMINI_API_KEY"):
        genai_async.Client()


def test_key_never_in_repr() -> None:
    client = genai_async.Client(api_key="secret-key-xyz")
    assert "secret-key-xyz" not in repr(client)
    assert "secret-key-xyz" not in repr(client._settings)


def test_base_url_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    assert genai_async.Client(api_key="k").base_url == "https://generativelanguage.googleapis.com"
    monkeypatch.setenv("GENAI_ASYNC_BASE_URL", "http://127.0.0.1:9/")
    assert genai_async.Client(api_key="k").base_url == "http://127.0.0.1:9"
    c = genai_async.Client(api_key="k", http_options={"base_url": "http://localhost:1"})
    assert c.base_url == "http://localhost:1"
    assert genai_async.Client(api_key="k", base_url="https://x.test").base_url == "https://x.test"


def test_plain_http_to_remote_host_refused() -> None:
    with pytest.raises(errors.ConfigurationError, match="plain http"):
        genai_async.Client(api_key="k", base_url="http://example.com")
    genai_async.Client(api_key="k", base_url="http://example.com", allow_insecure_http=True)


def test_key_in_base_url_is_refused_and_redacted() -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        genai_async.Client(api_key="k", base_url="https://x.test/?key=SECRET")
    assert "SECRET" not in str(info.value)
    assert redact_url("https://u:p@x.test/a?key=SECRET&b=1") == "https://REDACTED@x.test/a?key=REDACTED&b=1"


def test_timeouts_seconds_and_official_milliseconds() -> None:
    c = genai_async.Client(api_key="k")
    assert c._settings.timeout == 600 and c._settings.connect_timeout == 10
    assert c._settings.total_timeout is None
    assert genai_async.Client(api_key="k", http_options={"timeout": 30_000})._settings.timeout == 30.0
    assert genai_async.Client(api_key="k", timeout=5, total_timeout=9)._settings.total_timeout == 9
    with pytest.raises(errors.ConfigurationError):
        genai_async.Client(api_key="k", timeout=-1)


def test_vertex_refused() -> None:
    with pytest.raises(errors.ConfigurationError, match="Vertex"):
        genai_async.Client(api_key="k", vertexai=True)


def test_aio_is_the_client() -> None:
    c = genai_async.Client(api_key="k")
    assert c.aio is c and c.aio.models is c.models


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"api_version": "v1"}, "v1"),
        ({"apiVersion": "v1"}, "v1"),
        ({"api_version": "v1", "apiVersion": "v2"}, "v1"),  # the Python spelling wins
        (genai_async.types.HttpOptions(api_version="v1"), "v1"),
        ({}, None),
        (None, None),
    ],
)
def test_an_option_is_found_in_either_spelling(options: object, expected: str | None) -> None:
    assert option(options, "api_version") == expected


def test_camel_and_snake_are_each_others_inverse() -> None:
    for name in ("http_status_codes", "initial_delay", "timeout", "response_mime_type"):
        assert snake(camel(name)) == name
    assert camel("http_status_codes") == "httpStatusCodes" and snake("httpStatusCodes") == "http_status_codes"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://127.3.4.5", True),
        ("http://localhost:1", True),
        ("http://[::1]:8765", True),
        ("https://generativelanguage.googleapis.com", False),
        ("http://localhost.example.com", False),  # a name that starts like one is not this machine
        ("http://10.0.0.1", False),
        ("http://[::1", False),  # not a URL
    ],
)
def test_loopback_is_decided_once_for_the_client_the_cli_the_bench_and_bulk(url: str, local: bool) -> None:
    assert is_loopback(url) is local
