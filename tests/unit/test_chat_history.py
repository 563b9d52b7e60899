"""The chat-history rules (genai_async/_resources/_chat.py) on hand-made turns and answers; no server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from genai_async import errors, types
from genai_async._codec import decode
from genai_async._resources._history import check_history, curate, is_valid, model_turn, user_turn

SIG = b"\x01\x02sig\xff"


def user(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def model(text: str | None) -> types.Content:
    return types.Content(role="model", parts=[] if text is None else [types.Part(text=text)])


def response(body: dict[str, Any]) -> types.GenerateContentResponse:
    return decode(json.dumps(body), types.GenerateContentResponse)


def texts(history: list[types.Content]) -> list[str | None]:
    return [c.parts[0].text if c.parts else None for c in history]


# ---------------------------------------------------------------------------- curation


def test_valid_history_is_kept_whole() -> None:
    history = [user("a"), model("A"), user("b"), model("B")]
    assert curate(history) == history


def test_empty_answer_drops_its_prompt_too() -> None:
    history = [user("a"), model("A"), user("blocked"), model(None), user("c"), model("C")]
    assert texts(curate(history)) == ["a", "A", "c", "C"]


def test_every_turn_invalid_gives_empty_history() -> None:
    assert curate([user("x"), model(None), user("y"), model(None)]) == []


def test_one_invalid_content_in_a_model_run_drops_the_exchange() -> None:
    history = [user("a"), model("A1"), model(None), user("b"), model("B")]
    assert texts(curate(history)) == ["b", "B"]


def test_consecutive_user_contents_belong_to_the_exchange() -> None:
    history = [user("a"), user("a2"), model(None), user("b"), model("B")]
    assert texts(curate(history)) == ["b", "B"]


def test_trailing_user_turn_without_answer_is_kept() -> None:
    history = [user("a"), model(None), user("pending")]
    assert texts(curate(history)) == ["pending"]


def test_function_calling_exchange_is_kept() -> None:
    call = types.Content(
        role="model",
        parts=[types.Part(function_call=types.FunctionCall(name="f", args={}), thought_signature=SIG)],
    )
    result = types.Content(role="user", parts=[types.Part.from_function_response(name="f", response={"output": 1})])
    history = [user("q"), call, result, model("done")]
    assert curate(history) == history


def test_function_calling_rounds_go_with_their_exchange() -> None:
    """A blocked final answer drops the rounds before it too: no call is left without its response."""
    call = types.Content(role="model", parts=[types.Part(function_call=types.FunctionCall(name="f", args={}))])
    result = types.Content(role="user", parts=[types.Part.from_function_response(name="f", response={"result": 1})])
    history = [user("a"), model("A"), user("q"), call, result, call, result, model(None), user("b"), model("B")]
    assert texts(curate(history)) == ["a", "A", "b", "B"]


def test_curate_does_not_touch_its_input() -> None:
    history = [user("a"), model(None)]
    curate(history)
    assert len(history) == 2


def test_is_valid_needs_a_part() -> None:
    assert is_valid(model("x"))
    assert not is_valid(model(None))
    assert not is_valid(types.Content(role="model"))


# ---------------------------------------------------------------------------- what an answer stores


def test_model_turn_keeps_thoughts_and_signatures_in_order() -> None:
    resp = response(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "thinking", "thought": True},
                            {"text": "answer", "thoughtSignature": "AQJzaWf/"},
                            {"text": ""},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    turn = model_turn(resp)
    assert turn.role == "model"
    assert turn.parts is not None and len(turn.parts) == 2
    assert turn.parts[0].thought is True and turn.parts[0].text == "thinking"
    assert turn.parts[1].thought_signature == SIG


def test_empty_text_with_signature_is_kept() -> None:
    resp = response(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "", "thoughtSignature": "AQJzaWf/"}]}}]}
    )
    turn = model_turn(resp)
    assert turn.parts == [types.Part(text="", thought_signature=SIG)]
    assert is_valid(turn)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"promptFeedback": {"blockReason": "SAFETY"}}, id="prompt-blocked"),
        pytest.param({"candidates": []}, id="no-candidates"),
        pytest.param({"candidates": [{"finishReason": "SAFETY", "index": 0}]}, id="safety-no-content"),
        pytest.param({"candidates": [{"finishReason": "PROHIBITED_CONTENT"}]}, id="withheld-no-content"),
        pytest.param({"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}]}, id="no-parts"),
        pytest.param({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}}]}, id="empty-text"),
    ],
)
def test_answers_with_nothing_store_an_empty_invalid_model_turn(body: dict[str, Any]) -> None:
    turn = model_turn(response(body))
    assert turn == types.Content(role="model", parts=[])
    assert not is_valid(turn)


def test_safety_stop_after_some_text_is_a_valid_turn() -> None:
    resp = response(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "partial"}]}, "finishReason": "SAFETY"}]}
    )
    assert is_valid(model_turn(resp))


def test_candidate_zero_is_used() -> None:
    resp = response(
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "first"}]}, "index": 0},
                {"content": {"role": "model", "parts": [{"text": "second"}]}, "index": 1},
            ]
        }
    )
    assert texts([model_turn(resp)]) == ["first"]


# ---------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    "message",
    [
        "hi",
        types.Part(text="hi"),
        [types.Part(text="hi")],
        ["hi"],
        {"text": "hi"},
        {"role": "user", "parts": [{"text": "hi"}]},
        types.Content(parts=[types.Part(text="hi")]),
    ],
)
def test_message_shapes_become_one_user_content(message: object) -> None:
    assert user_turn(message) == user("hi")


def test_message_with_several_parts() -> None:
    turn = user_turn(["look:", types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n", mime_type="image/png")])
    assert turn.role == "user" and turn.parts is not None and len(turn.parts) == 2


@pytest.mark.parametrize("message", [None, "", [], [""], {"role": "user", "parts": []}])
def test_empty_message_is_rejected(message: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="message"):
        user_turn(message)


def test_model_role_message_is_rejected() -> None:
    with pytest.raises(errors.ConfigurationError, match="user turn"):
        user_turn({"role": "model", "parts": [{"text": "x"}]})


# ---------------------------------------------------------------------------- history= at create


def test_history_accepts_contents_and_both_key_spellings() -> None:
    got = check_history(
        [
            user("a"),
            {"role": "model", "parts": [{"text": "A", "thoughtSignature": SIG}]},
            {"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": b"x"}}]},
            {"role": "model", "parts": [{"function_call": {"name": "f", "args": {"k": 1}}, "thought_signature": SIG}]},
        ]
    )
    assert [c.role for c in got] == ["user", "model", "user", "model"]
    assert got[1].parts is not None and got[1].parts[0].thought_signature == SIG
    assert got[2].parts is not None and got[2].parts[0].inline_data == types.Blob(mime_type="image/png", data=b"x")
    assert got[3].parts is not None and got[3].parts[0].function_call == types.FunctionCall(name="f", args={"k": 1})


def test_history_round_trips_get_history_with_an_empty_model_turn() -> None:
    history = [user("a"), model(None), user("b"), model("B")]
    assert check_history(history) == history
    assert check_history(None) == [] and check_history([]) == []


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ("hello", "must be a list"),
        (["hello"], r"history\[0\] is a str"),
        ([{"role": "system", "parts": [{"text": "x"}]}], "'user' or 'model'"),
        ([{"parts": [{"text": "x"}]}], "role None"),
        ([{"role": "model", "parts": [{"text": "x"}]}], "starts with a user turn"),
        ([{"role": "user", "parts": []}], "no parts"),
        ([{"role": "user", "parts": [{"txt": "x"}]}], "did you mean 'text'"),
    ],
)
def test_bad_history_is_rejected(history: object, match: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        check_history(history)
