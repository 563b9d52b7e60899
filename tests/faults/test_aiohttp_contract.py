"""What genai_async._watchdog relies on in aiohttp, checked one attribute at a time.

The watchdog is the one module that uses aiohttp internals (its docstring lists them). aiohttp is
pinned below 4, but a 3.x release may still move a private attribute; when one does, a test here
fails naming the attribute and what it is used for, instead of a timeout test failing somewhere
else for no visible reason. The first test reads aiohttp's classes; the others look at the live
objects of a real exchange over 127.0.0.1 (private attributes are set per instance) and drive the
watchdog's own expiry code against them.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.client_proto
import aiohttp.connector
import aiohttp.streams
import pytest

import genai_async
from genai_async import errors
from genai_async._watchdog import HeaderWait, arrived, pool_full, pooled
from tests.faults.conftest import MODEL, FaultServer, new_client, open_stream, text_events
from tests.waiting import wait_until


def require(obj: Any, name: str, why: str) -> Any:
    """``obj.name``, or a failure naming it: aiohttp changed what the watchdog relies on."""
    if not hasattr(obj, name):
        owner = obj.__qualname__ if isinstance(obj, type) else type(obj).__qualname__
        pytest.fail(
            f"aiohttp {aiohttp.__version__} changed what genai_async._watchdog relies on: {owner}.{name} is "
            f"gone (used to {why}); adapt _watchdog.py, or pin aiohttp below this release in pyproject.toml"
        )
    return getattr(obj, name)


READER_SURFACE = [
    ("set_exception", "fail the pending read when the silence limit is reached"),
    ("is_eof", "see that the end arrived while the timer ran late"),
    ("exception", "see that an error arrived while the timer ran late"),
]


@pytest.mark.parametrize(
    ("owner", "name", "why"),
    [
        (aiohttp.ClientResponse, "start", "learn when the request is written (overridden)"),
        (aiohttp.connector.Connection, "protocol", "find the connection's reader when the request is out"),
        *[(aiohttp.client_proto.ResponseHandler, name, why) for name, why in READER_SURFACE],
        *[(aiohttp.streams.StreamReader, name, why) for name, why in READER_SURFACE],
        (aiohttp, "ServerTimeoutError", "fail a silent read the way sock_read does"),
        (aiohttp, "ConnectionTimeoutError", "tell a connect timeout apart (_transport.translate; new in 3.10)"),
        (aiohttp, "ClientPayloadError", "tell a cut body apart (_transport.translate)"),
        (aiohttp, "ClientConnectorError", "tell a failed connect apart (_transport.translate)"),
        (aiohttp.TCPConnector, "limit", "tell that the pool is full"),
    ],
)
def test_the_classes_have_what_the_watchdog_uses(owner: Any, name: str, why: str) -> None:
    attr = require(owner, name, why)
    if name == "start":
        assert inspect.iscoroutinefunction(attr), "aiohttp's ClientResponse.start is no longer a coroutine function"
        params = list(inspect.signature(attr).parameters)
        assert params == ["self", "connection"], f"ClientResponse.start's parameters changed: {params}"
    elif name in dict(READER_SURFACE):
        assert callable(attr), f"{owner.__qualname__}.{name} is no longer a method"


def test_pyproject_pins_aiohttp_below_the_next_major() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    (pin,) = [d.replace(" ", "") for d in project["dependencies"] if d.startswith("aiohttp")]
    assert pin == "aiohttp>=3.10,<4", f"{pin}: the contract above is checked against aiohttp 3 from 3.10 on"


def test_a_session_still_takes_a_response_class() -> None:
    params = inspect.signature(aiohttp.ClientSession.__init__).parameters
    assert "response_class" in params, (
        f"aiohttp {aiohttp.__version__}: ClientSession(response_class=...) is gone; the watchdog's "
        "ClientResponse subclass (genai_async._watchdog.response_class) can no longer be installed"
    )


def check_reader(reader: Any, what: str) -> None:
    """The reader surface of a live aiohttp reader (``_buffer`` is set per instance)."""
    require(reader, "_buffer", f"see that bytes of the {what} arrived while the timer ran late")
    for name, why in READER_SURFACE:
        assert callable(require(reader, name, why))
    assert not arrived(reader), f"a {what} reader with nothing in it reads as if something arrived"


async def test_a_header_wait_finds_the_protocol_and_expiring_it_fails_the_request(
    fault_server: FaultServer,
) -> None:
    fault_server.queue([("hang",)])
    client = new_client(fault_server.base_url, retry=False)
    try:
        call = asyncio.ensure_future(client.models.generate_content(model=MODEL, contents="x"))
        waits = client._transport._waits
        await wait_until(lambda: any(w.target is not None for w in waits.values()))
        (wait,) = waits.values()
        assert isinstance(wait, HeaderWait)
        assert isinstance(wait.target, aiohttp.client_proto.ResponseHandler), (
            f"ClientResponse.start got a connection whose .protocol is a {type(wait.target).__qualname__}"
        )
        check_reader(wait.target, "response headers")
        connector = client._transport._session.connector  # type: ignore[union-attr]
        acquired = require(connector, "_acquired", "count the connections in use")
        assert len(acquired) == 1, "TCPConnector._acquired no longer holds the connection in use"
        wait.expire()  # what the watchdog does when the headers are overdue
        with pytest.raises(errors.TimeoutError) as caught:
            await call
        assert caught.value.limit == "read"
    finally:
        await client.aclose()


async def test_a_body_read_is_seen_pending_and_expiring_it_fails_the_stream(fault_server: FaultServer) -> None:
    fault_server.queue([("head",), ("write", text_events(["one", "two"], finish=None)[0]), ("hang",)])
    client = new_client(fault_server.base_url, retry=False, max_connections=1)
    try:
        stream = open_stream(client)
        first = await stream.__anext__()
        assert first.text == "one"
        (resp,) = client._transport._live
        reader = resp._resp.content
        assert isinstance(reader, aiohttp.streams.StreamReader), f"the body is a {type(reader).__qualname__}"
        following = asyncio.ensure_future(stream.__anext__())
        await wait_until(lambda: resp._waiting != 0.0)
        check_reader(reader, "response body")
        connector = client._transport._session.connector  # type: ignore[union-attr]
        assert pool_full(connector) == 1, "TCPConnector._acquired / .limit no longer tell that the pool is full"
        client._transport._watchdog._expire([(None, resp, resp._waiting)])  # the overdue read, one turn later
        with pytest.raises(errors.TimeoutError) as caught:
            await following
        assert caught.value.limit == "read"
        await stream.aclose()
    finally:
        await client.aclose()


async def test_the_pool_counts_read_the_connector(fault_server: FaultServer) -> None:
    fault_server.queue([("head",), *[("write", e) for e in text_events(["a"])]])
    async with new_client(fault_server.base_url, retry=False) as client:
        assert isinstance(client, genai_async.Client)
        async for _ in open_stream(client):
            pass
        connector = client._transport._session.connector  # type: ignore[union-attr]
        conns = require(connector, "_conns", "count the idle pooled connections")
        assert isinstance(conns, dict), f"TCPConnector._conns is a {type(conns).__qualname__}, not a dict"
        assert pooled(connector) == 1 == client.open_connections, "the idle connection is not counted"
        assert pool_full(connector) == 0


def test_a_missing_attribute_fails_naming_it() -> None:
    class ResponseHandler:
        pass

    with pytest.raises(pytest.fail.Exception, match=r"ResponseHandler\._buffer is gone \(used to see that bytes"):
        require(ResponseHandler(), "_buffer", "see that bytes arrived")
