"""Deeply nested JSON is a typed error everywhere, never a bare RecursionError (issue 15, item 4).

About 2,000 levels of nesting (a 4 KB body) go past the interpreter's default recursion limit,
where msgspec raises RecursionError. The bodies here nest 20,000 levels so they stay past the limit
when another test's import raised it (IPython sets 3,000). Each place the client decodes JSON from the server gets such a body
over a real socket and must raise the documented error, with a short message and the stream's
``.partial`` where chunks came first.
"""

from __future__ import annotations

import json

import pytest

from genai_async import errors

from .conftest import MODEL, FaultServer, Step, collect, new_client, no_leaks, text_events

DEEP = "[" * 20_000 + "]" * 20_000  # 40,000 bytes
GOOD = text_events(["one "], finish=None)[0]


def _event(raw: str) -> bytes:
    return b"data: " + raw.encode() + b"\r\n\r\n"


FUNCTION_CALL = (
    '{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":' + DEEP + "}}}]},"
    '"finishReason":"STOP","index":0}]}'
)
STREAM_CASES: dict[str, list[bytes]] = {
    "chunk with deep functionCall.args": [GOOD, _event(FUNCTION_CALL)],
    "invalid event re-read as an error envelope": [GOOD, _event('{"candidates":"x","error":' + DEEP + "}")],
    "in-band error event": [GOOD, _event('{"error":{"code":500,"message":"m","details":[' + DEEP + "]}}")],
    "unterminated last event": [GOOD, b"data: " + DEEP.encode()],
    "non-SSE tail": [GOOD, DEEP.encode() + b"\n"],
    "first event": [_event(FUNCTION_CALL)],
}


@pytest.mark.parametrize("case", sorted(STREAM_CASES))
async def test_a_deeply_nested_stream_is_a_stream_error(fault_server: FaultServer, case: str) -> None:
    events = STREAM_CASES[case]
    fault_server.queue([("head",)] + [("write", e) for e in events])
    async with new_client(fault_server.base_url, retry=False) as client:
        async with no_leaks(client):
            chunks, exc = await collect(client)
    assert type(exc) is errors.StreamError, repr(exc)
    assert len(str(exc)) < 1000 and not isinstance(exc.__cause__, RecursionError)
    if events[0] is GOOD:
        assert [c.text for c in chunks] == ["one "]
        assert exc.partial is not None and exc.partial.text == "one "
    else:
        assert chunks == [] and exc.partial is None


def _reply(status: int, body: str) -> list[Step]:
    return [("error", status, body.encode(), "application/json")]


@pytest.mark.parametrize(
    ("case", "plan", "expected"),
    [
        ("success body", _reply(200, FUNCTION_CALL), errors.StreamError),
        (
            "error body",
            _reply(500, '{"error":{"code":500,"message":"m","details":[' + DEEP + "]}}"),
            errors.ServerError,
        ),
        ("error body that is only nesting", _reply(400, DEEP), errors.ClientError),
    ],
)
async def test_a_deeply_nested_unary_body_is_a_typed_error(
    fault_server: FaultServer, case: str, plan: list[Step], expected: type[errors.GenAIError]
) -> None:
    fault_server.queue(plan)
    async with new_client(fault_server.base_url, retry=False) as client:
        async with no_leaks(client):
            with pytest.raises(errors.GenAIError) as info:
                await client.models.generate_content(model=MODEL, contents="hi")
    exc = info.value
    assert type(exc) is expected, repr(exc)
    assert len(str(exc)) < 1000 and not isinstance(exc.__cause__, RecursionError)


def test_deep_json_in_structured_output_is_no_parse() -> None:
    from genai_async import types
    from genai_async._coerce import parse_output

    cfg = types.GenerateContentConfig(response_mime_type="application/json")
    parsed, error = parse_output(DEEP, cfg)
    assert parsed is None and error is not None and error.kind == "invalid_json"
    assert parse_output(json.dumps([[[1]]]), cfg) == ([[[1]]], None)
