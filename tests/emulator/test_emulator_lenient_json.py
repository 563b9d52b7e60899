"""Lenient JSON like Google's front end: single-quoted strings and trailing commas (docs' curl samples)."""

from __future__ import annotations

import json

import pytest

from genai_async.emulator._lenient import to_json

from .emulator_helpers import MODEL, Api

JSON = {"content-type": "application/json"}


async def test_docs_two_step_upload_with_a_single_quoted_start_body(api: Api) -> None:
    # As the Files API curl sample sends it: -d "{'file': {'display_name': '${DISPLAY_NAME}'}}"
    start = await api.request(
        "POST",
        "/upload/v1beta/files",
        data=b"{'file': {'display_name': 'TEXT'}}",
        headers={
            **JSON,
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": "5",
            "X-Goog-Upload-Header-Content-Type": "text/plain",
        },
    )
    assert start.status == 200, start.body
    url = start.headers["x-goog-upload-url"]
    done = await api.request(
        "POST", url, data=b"hello", headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"}
    )
    assert done.status == 200, done.body
    assert done.json()["file"]["displayName"] == "TEXT"


async def test_count_tokens_with_trailing_commas(api: Api) -> None:
    body = b"""{
      "contents": [{
        "parts":[{
          "text": "The quick brown fox jumps over the lazy dog.",
          },],
        },],
    }"""
    result = await api.request("POST", f"/v1beta/models/{MODEL}:countTokens", data=body, headers=JSON)
    assert result.status == 200, result.body
    assert result.json()["totalTokens"] == 10
    assert api.emulator.requests[-1].json == {
        "contents": [{"parts": [{"text": "The quick brown fox jumps over the lazy dog."}]}]
    }


@pytest.mark.parametrize("body", [b"{'contents': [", b"{contents: []}", b"not json", b"{'a': 'unterminated}"])
async def test_still_invalid_json_is_refused(api: Api, body: bytes) -> None:
    result = await api.request("POST", f"/v1beta/models/{MODEL}:countTokens", data=body, headers=JSON)
    assert result.status == 400
    assert result.json()["error"]["message"].startswith("Invalid JSON payload received.")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("{'a': 'it\\'s', 'b': 'say \"hi\"',}", {"a": "it's", "b": 'say "hi"'}),
        ('{"a": "keep, ] this",}', {"a": "keep, ] this"}),
        ("[1, 2,\n]", [1, 2]),
        ("{'x': 'a\\nb'}", {"x": "a\nb"}),
    ],
)
def test_to_json_rewrites_only_the_lenient_forms(text: str, value: object) -> None:
    assert json.loads(to_json(text)) == value
