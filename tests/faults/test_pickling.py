"""Every public error survives pickling with its data and without the key (issue 15, item 6).

Errors cross process boundaries (multiprocessing, the bench's ``--ray`` mode). Each public error
type is built with all its data and round-tripped; errors raised over a real socket (an HTTP 429
with RetryInfo, a read timeout with a partial answer, a refused connection) are round-tripped too.
"""

from __future__ import annotations

import multiprocessing
import pickle
import socket
from typing import Any

import pytest

import genai_async
from genai_async import errors, sse, types

from .conftest import FaultServer, collect, error_plan, text_events

KEY = "AIzaSy-pickle-secret-0123456789"
PARTIAL = types.GenerateContentResponse(
    candidates=[types.Candidate(content=types.Content(role="model", parts=[types.Part(text="half an answer")]))],
    response_id="r-1",
)
RETRY = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]


def _fields(exc: BaseException) -> dict[str, Any]:
    names = (
        "code",
        "status",
        "message",
        "details",
        "endpoint",
        "headers",
        "retry_delay",
        "limit",
        "seconds",
        "attempts",
        "request_sent",
        "partial",
        "kind",
        "text",
    )
    return {"type": type(exc), "str": str(exc), "args": exc.args} | {n: getattr(exc, n, None) for n in names}


def _built() -> list[errors.GenAIError]:
    api = errors.APIError.from_envelope(
        429,
        {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": RETRY}},
        endpoint="models/m:generateContent",
        partial=PARTIAL,
        headers={"Retry-After": "3"},
    )
    server = errors.ServerError(503, "UNAVAILABLE", "overloaded", endpoint="e", partial=PARTIAL)
    redirect = errors.APIError(307, None, "a redirect to host '127.0.0.2'", endpoint="e")
    timeout = errors.TimeoutError("read timeout", limit="read", seconds=0.5, partial=PARTIAL)
    refused = errors.ConnectionError("cannot connect", request_sent=False)
    built: list[errors.GenAIError] = [
        errors.GenAIError("base"),
        errors.ConfigurationError("bad argument"),
        api,
        server,
        redirect,
        errors.ClientError(404, "NOT_FOUND", "no such model"),
        errors.StreamError("cut", partial=PARTIAL),
        errors.TransportError("no exchange", request_sent=False),
        refused,
        timeout,
        errors.ParseError("the output is not JSON", kind="invalid_json", text="{oops"),
    ]
    for i, exc in enumerate(built):
        exc.attempts = i + 1
    return built


def test_every_public_error_type_is_covered() -> None:
    public = {getattr(errors, name) for name in errors.__all__}
    assert {type(e) for e in _built()} == public


@pytest.mark.parametrize("exc", _built(), ids=lambda e: type(e).__name__)
def test_a_built_error_round_trips_with_its_data(exc: errors.GenAIError) -> None:
    again = pickle.loads(pickle.dumps(exc))
    assert _fields(again) == _fields(exc)
    if isinstance(exc, errors.APIError) and exc.code == 429:
        assert again.retry_delay == 37.0 and again.partial.text == "half an answer"


def test_the_sse_error_round_trips() -> None:
    exc = sse.SSEError("too big")
    assert pickle.loads(pickle.dumps(exc)).args == ("too big",)


def _unpickle_in_a_child(data: bytes) -> str:
    return repr(pickle.loads(data))


def test_an_error_crosses_a_process_boundary() -> None:
    exc = _built()[2]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_unpickle_in_a_child, (pickle.dumps(exc),)) == repr(exc)


async def test_errors_raised_over_a_socket_round_trip_without_the_key(fault_server: FaultServer) -> None:
    raised: list[errors.GenAIError] = []
    fault_server.queue(error_plan(429, "RESOURCE_EXHAUSTED", f"quota for {KEY}", RETRY))
    fault_server.queue([("head",), ("write", text_events(["half ", "more"])[0]), ("hang",)])
    async with genai_async.Client(api_key=KEY, base_url=fault_server.base_url, retry=False, timeout=0.3) as client:
        with pytest.raises(errors.ClientError) as info:
            await client.models.generate_content(model="m", contents="hi")
        raised.append(info.value)
        _, timeout = await collect(client)
        assert isinstance(timeout, errors.TimeoutError)
        raised.append(timeout)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with genai_async.Client(api_key=KEY, base_url=f"http://127.0.0.1:{port}", retry=False) as client:
        with pytest.raises(errors.ConnectionError) as refused:
            await client.models.generate_content(model="m", contents="hi")
        raised.append(refused.value)
    for exc in raised:
        data = pickle.dumps(exc)
        assert KEY.encode() not in data
        assert _fields(pickle.loads(data)) == _fields(exc)
    assert raised[0].retry_delay == 37.0 and "***" in raised[0].message
    assert raised[1].partial is not None and raised[1].partial.text == "half "
    assert raised[2].request_sent is False
