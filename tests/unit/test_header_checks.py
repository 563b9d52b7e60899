"""Bad input that would reach aiohttp untyped, or reroute a request, is a ConfigurationError (issue 15, item 8)."""

from __future__ import annotations

from typing import Any

import pytest

import genai_async
from genai_async import errors
from tests.conftest import Scripted, fixture_json

MODEL = "gemini-3.5-flash"
BAD_VALUES = ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_client_header_with_a_line_break_is_refused(value: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"http_options.headers\['X-Custom'\]") as info:
        genai_async.Client(api_key="k", http_options={"headers": {"X-Custom": value}})
    assert value not in str(info.value)  # the value may be a credential: not repeated


@pytest.mark.parametrize("headers", [{"X Bad": "v"}, {"X-Bad\r\n": "v"}, {"": "v"}, {"X-Num": 1}, {1: "v"}, ["X"]])
def test_bad_header_names_and_non_string_values_are_refused(headers: Any) -> None:
    with pytest.raises(errors.ConfigurationError):
        genai_async.Client(api_key="k", http_options={"headers": headers})


@pytest.mark.parametrize(
    "version", ["v1beta?x=1#", "v1beta#frag", "v1/../../files/abc", "../v1", "v1beta/models", "beta", "V1", 1]
)
def test_an_api_version_that_is_not_a_plain_segment_is_refused(version: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="api_version"):
        genai_async.Client(api_key="k", http_options={"api_version": version})


@pytest.mark.parametrize("version", ["v1", "v1beta", "v1alpha", "v1beta1", "v2", "/v1beta/"])
def test_plain_versions_are_accepted(version: str) -> None:
    client = genai_async.Client(api_key="k", http_options={"api_version": version})
    assert client._settings.api_version == version.strip("/")


async def test_per_request_overrides_are_checked_before_any_request(server: Scripted) -> None:
    server.reply_json(fixture_json("generate_text.json"))
    async with genai_async.Client(api_key="k", base_url=server.base_url) as client:
        for http_options in ({"headers": {"X-A": "1\r\n2"}}, {"api_version": "v1beta#x"}):
            with pytest.raises(errors.ConfigurationError):
                await client.models.generate_content(model=MODEL, contents="x", config={"http_options": http_options})
        with pytest.raises(errors.ConfigurationError, match="mime_type"):
            await client.files.upload(file=b"data", config={"mime_type": "text/plain\r\nX-Injected: 1"})
        assert server.requests == []  # nothing was sent
        ok = await client.models.generate_content(
            model=MODEL, contents="x", config={"http_options": {"headers": {"X-A": "1"}, "api_version": "v1alpha"}}
        )
    assert (
        ok.text and server.requests[0]["path"].startswith("/v1alpha/") and server.requests[0]["headers"]["X-A"] == "1"
    )
