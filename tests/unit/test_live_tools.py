"""LiveTools without a socket: which tool calls the session takes, cancellation by id, the turn's
round limit, refusing a second (manual) answer, unexpected failures, closing."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from genai_async import _live_protocol as proto
from genai_async import errors, types
from genai_async._afc import Toolbox
from genai_async._live_tools import REMEMBERED, LiveTools
from tests.waiting import wait_until


class Sent:
    def __init__(self, fail: Exception | None = None) -> None:
        self.batches: list[list[types.FunctionResponse]] = []
        self.fail = fail
        self.event = asyncio.Event()

    async def __call__(self, responses: list[types.FunctionResponse]) -> None:
        self.batches.append(responses)
        self.event.set()
        if self.fail is not None:
            raise self.fail


def echo(text: str) -> str:
    """Echo the text."""
    return text


async def wait_forever(x: str) -> str:
    """Never returns on its own."""
    await asyncio.Event().wait()
    return x


class Boom(BaseException):
    """Not an Exception: automatic function calling does not turn it into an {"error"} response."""


def explode(x: str) -> str:
    """Raise something that is not an Exception."""
    raise Boom(x)


def ignore(exc: BaseException) -> None:
    raise AssertionError(f"no failure expected, got {exc!r}")


def box(max_requests: int = 10, **functions: Any) -> Toolbox:
    return Toolbox(functions or {"echo": echo, "wait_forever": wait_forever}, max_requests, True, None)


def call(name: str, call_id: str | None, **args: Any) -> types.FunctionCall:
    return types.FunctionCall(id=call_id, name=name, args=args)


async def finished(tools: LiveTools) -> None:
    await tools.aclose()  # waits for every task; nothing was running -> returns at once


async def test_one_tool_call_is_answered_once_with_ids_in_call_order() -> None:
    sent = Sent()
    tools = LiveTools(box(), sent, ignore)
    assert tools.take([call("echo", "a", text="one"), call("echo", None, text="two")])
    await sent.event.wait()
    (responses,) = sent.batches
    assert [(r.id, r.name, r.response) for r in responses] == [
        ("a", "echo", {"result": "one"}),
        (None, "echo", {"result": "two"}),
    ]
    frame = msgspec.json.decode(proto.responses_frame(responses))
    assert frame["toolResponse"]["functionResponses"][1] == {"name": "echo", "response": {"result": "two"}}
    await finished(tools)


async def test_calls_it_cannot_answer_are_left_to_the_caller() -> None:
    tools = LiveTools(box(), Sent(), ignore)
    assert not tools.take([])
    assert not tools.take([call("echo", "a", text="x"), call("unknown", "b")])
    assert tools.running == 0


async def test_cancellation_by_id_leaves_that_response_out() -> None:
    sent = Sent()
    tools = LiveTools(box(), sent, ignore)
    assert tools.take([call("wait_forever", "slow", x="1"), call("echo", "fast", text="2")])
    await wait_until(lambda: tools.running == 1)  # echo finished; wait_forever is parked
    tools.cancel(["slow", "not-a-call"])
    await sent.event.wait()
    assert [r.id for r in sent.batches[0]] == ["fast"]
    assert tools.running == 0


async def test_cancelling_every_call_sends_nothing() -> None:
    sent = Sent()
    tools = LiveTools(box(), sent, ignore)
    tools.take([call("wait_forever", "only", x="1")])
    await asyncio.sleep(0)
    tools.cancel(["only"])
    await tools.aclose()
    assert sent.batches == []


async def test_close_cancels_running_calls_and_waits_for_their_tasks() -> None:
    sent = Sent()
    tools = LiveTools(box(), sent, ignore)
    before = asyncio.all_tasks()
    tools.take([call("wait_forever", "a", x="1"), call("wait_forever", "b", x="2")])
    assert tools.running == 2
    await tools.aclose()
    assert tools.running == 0 and sent.batches == []
    assert not [t for t in asyncio.all_tasks() - before if not t.done()]


async def test_rounds_per_turn_follow_maximum_remote_calls() -> None:
    sent = Sent()
    tools = LiveTools(box(max_requests=3), sent, ignore)
    assert tools.take([call("echo", "1", text="a")])
    assert tools.take([call("echo", "2", text="b")])
    assert not tools.take([call("echo", "3", text="c")])  # the third request is the last allowed
    tools.turn_complete()
    assert tools.take([call("echo", "4", text="d")])
    await tools.aclose()
    assert not LiveTools(box(max_requests=1), sent, ignore).take([call("echo", "5", text="e")])


async def test_a_manual_answer_to_a_taken_call_is_refused() -> None:
    tools = LiveTools(box(), Sent(), ignore)
    tools.take([call("echo", "taken", text="a")])
    with pytest.raises(errors.ConfigurationError, match="'taken' are answered by the session itself"):
        tools.check_manual([types.FunctionResponse(id="taken", name="echo", response={})])
    tools.check_manual([types.FunctionResponse(id="other", name="echo", response={})])
    for i in range(REMEMBERED):
        tools.take([call("echo", f"id-{i}", text="x")])
        tools.turn_complete()
    tools.check_manual([types.FunctionResponse(id="taken", name="echo", response={})])  # forgotten: bounded
    await tools.aclose()


async def test_a_failed_send_is_not_an_error_of_the_tools() -> None:
    sent = Sent(fail=errors.ConfigurationError("the live session is closed"))
    tools = LiveTools(box(), sent, ignore)
    tools.take([call("echo", "a", text="x")])
    await sent.event.wait()
    await tools.aclose()


async def test_an_unexpected_base_exception_ends_the_session() -> None:
    failures: list[BaseException] = []
    tools = LiveTools(box(explode=explode), Sent(), failures.append)
    tools.take([call("explode", "a", x="bang")])
    await wait_until(lambda: bool(failures))  # the call runs in a worker thread
    assert [type(f) for f in failures] == [Boom]
    await tools.aclose()


def test_tool_responses_need_ids_but_the_sessions_own_answers_echo_none() -> None:
    with pytest.raises(errors.ConfigurationError, match="no id"):
        proto.tool_responses([{"name": "echo", "response": {}}])
    frame = proto.responses_frame([types.FunctionResponse(name="echo", response={"result": 1})])
    assert frame == b'{"toolResponse":{"functionResponses":[{"name":"echo","response":{"result":1}}]}}'


def test_tools_are_a_sequence_stored_as_a_list() -> None:
    cfg = proto.connect_config(types.LiveConnectConfig(tools=(echo, {"google_search": {}})))
    assert cfg is not None and cfg.tools == [echo, types.Tool(google_search=types.GoogleSearch())]
    with pytest.raises(errors.ConfigurationError, match="must be a list"):
        proto.connect_config({"tools": echo})
