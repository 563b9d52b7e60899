"""The Live API's pure wire rules: setup mapping, client frames, server frames, close codes."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from genai_async import _live_protocol as proto
from genai_async import errors, types
from genai_async._options import Settings

from ..conftest import fixture_bytes


def frames(source: str) -> list[dict[str, Any]]:
    lines = fixture_bytes("live_session.jsonl").decode().splitlines()
    return [json.loads(line)["frame"] for line in lines if json.loads(line)["from"] == source]


def test_url_swaps_scheme_and_names_the_method() -> None:
    https = Settings(api_key="k")
    assert proto.live_url(https) == (
        "wss://generativelanguage.googleapis.com/ws/"
        "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    )
    local = Settings(api_key="k", base_url="http://127.0.0.1:8765", api_version="v1alpha")
    assert proto.live_url(local).startswith("ws://127.0.0.1:8765/ws/google.ai.generativelanguage.v1alpha.")
    assert "k" not in proto.live_url(local).split("/ws/")[1].replace("BidiGenerateContent", "")


def test_setup_matches_the_recorded_session() -> None:
    config = proto.connect_config(
        {
            "response_modalities": ["TEXT"],
            "system_instruction": "Be brief.",
            "tools": [{"function_declarations": [{"name": "get_time", "description": "Current UTC time."}]}],
            "sessionResumption": {},
        }
    )
    sent = json.loads(proto.setup_frame("models/gemini-live-2.5-flash-preview", config))
    recorded = frames("client")[0]
    recorded["setup"]["systemInstruction"] = {"parts": [{"text": "Be brief."}]}
    assert sent == recorded


def test_flat_fields_merge_over_generation_config_and_handle_replaces() -> None:
    config = types.LiveConnectConfig(
        generation_config=types.GenerationConfig(temperature=0.1, top_k=3),
        temperature=0.7,
        response_modalities=["AUDIO"],
        speech_config=types.SpeechConfig(
            voice_config=types.VoiceConfig(prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Kore"))
        ),
        session_resumption=types.SessionResumptionConfig(handle="old"),
        input_audio_transcription=types.AudioTranscriptionConfig(),
        context_window_compression=types.ContextWindowCompressionConfig(
            sliding_window=types.SlidingWindow(target_tokens=1000), trigger_tokens=2000
        ),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)
        ),
    )
    setup = json.loads(proto.setup_frame("models/m", config, handle="new"))["setup"]
    assert setup["generationConfig"] == {
        "responseModalities": ["AUDIO"],
        "temperature": 0.7,
        "topK": 3,
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
    }
    assert setup["sessionResumption"] == {"handle": "new"}
    assert setup["inputAudioTranscription"] == {}
    assert setup["contextWindowCompression"] == {"triggerTokens": 2000, "slidingWindow": {"targetTokens": 1000}}
    assert setup["realtimeInputConfig"] == {"automaticActivityDetection": {"disabled": True}}
    assert json.loads(proto.setup_frame("models/m", config))["setup"]["sessionResumption"] == {"handle": "old"}


def test_client_frames_match_the_recorded_session() -> None:
    recorded = frames("client")
    content = proto.client_content_frame("What time is it?", True)
    assert json.loads(content) == recorded[1]
    response = proto.tool_response_frame({"id": "fc-1a2b3c", "name": "get_time", "response": {"output": "09:41Z"}})
    assert json.loads(response) == recorded[2]
    audio = proto.realtime_frame(audio=types.Blob(data=b"\x00" * 8, mime_type="audio/pcm;rate=16000"))
    assert json.loads(audio) == recorded[3]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"text": "hi"}, {"text": "hi"}),
        ({"audio_stream_end": True}, {"audioStreamEnd": True}),
        ({"activity_start": {}}, {"activityStart": {}}),
        ({"activity_end": types.ActivityEnd()}, {"activityEnd": {}}),
        (
            {"video": {"data": b"\xff\xd8\xff", "mimeType": "image/jpeg"}},
            {"video": {"mimeType": "image/jpeg", "data": "/9j/"}},
        ),
        (
            {"media": types.Blob(data=b"a", mime_type="audio/pcm")},
            {"mediaChunks": [{"mimeType": "audio/pcm", "data": "YQ=="}]},
        ),
    ],
)
def test_realtime_frames(kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    assert json.loads(proto.realtime_frame(**kwargs)) == {"realtimeInput": expected}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one"),
        ({"text": "a", "audio": types.Blob(data=b"a", mime_type="audio/pcm")}, "exactly one"),
        ({"audio": types.Blob(data=b"a")}, "mime_type"),
        ({"audio": {"data": b"a", "mime": "x"}}, "unknown key"),
        ({"audio_stream_end": False}, "must be True"),
        ({"text": b"bytes"}, "must be a str"),
    ],
)
def test_bad_realtime_input(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        proto.realtime_frame(**kwargs)


def test_bad_client_content_and_tool_response() -> None:
    with pytest.raises(errors.ConfigurationError, match="turn_complete"):
        proto.client_content_frame("x", "yes")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="empty"):
        proto.tool_response_frame([])
    with pytest.raises(errors.ConfigurationError, match="no id"):
        proto.tool_response_frame([{"name": "f", "response": {}}])
    assert json.loads(proto.client_content_frame(None, True)) == {"clientContent": {"turnComplete": True}}


def test_server_frames_decode_straight_into_typed_messages() -> None:
    lines = [json.loads(line) for line in fixture_bytes("live_session.jsonl").decode().splitlines()]
    raw = [json.dumps(line["frame"]).encode() for line in lines if line["from"] == "server"]
    messages = [proto.decode_message(r) for r in raw]
    assert messages[0].setup_complete == types.LiveServerSetupComplete()
    call = messages[1].tool_call.function_calls[0]  # type: ignore[union-attr,index]
    assert (call.id, call.name, call.args) == ("fc-1a2b3c", "get_time", {})
    assert [m.text for m in messages[2:4]] == ["It's 09:41", " UTC."]
    assert messages[4].server_content.generation_complete  # type: ignore[union-attr]
    usage = messages[5].usage_metadata
    assert usage is not None and usage.response_token_count == 9
    assert usage.response_tokens_details[0].modality == "TEXT"  # type: ignore[index]
    assert messages[6].session_resumption_update == types.LiveServerSessionResumptionUpdate(
        new_handle="Cg5zZXNzaW9uLWhhbmRsZS0x", resumable=True
    )
    assert messages[7].go_away.time_left == "10s"  # type: ignore[union-attr]
    assert proto.decode_message(raw[2].decode()).text == "It's 09:41"  # a text frame decodes the same


def test_text_and_data_properties() -> None:
    message = proto.decode_message(
        b'{"serverContent": {"modelTurn": {"parts": [{"text": "a", "thought": true}, {"text": "b"},'
        b'{"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": "AAE="}},'
        b'{"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": "AgM="}}]}}}'
    )
    assert message.text == "b"
    assert message.data == b"\x00\x01\x02\x03"
    empty = types.LiveServerMessage(server_content=types.LiveServerContent(turn_complete=True))
    assert empty.text is None and empty.data is None


@pytest.mark.parametrize("frame", [b"not json", b'{"serverContent": []}', b"[]"])
def test_bad_server_frame_is_stream_error(frame: bytes) -> None:
    with pytest.raises(errors.StreamError, match="not a LiveServerMessage"):
        proto.decode_message(frame)


@pytest.mark.parametrize(
    ("code", "reason", "klass", "http"),
    [
        (None, "", errors.ConnectionError, None),
        (1006, "", errors.ConnectionError, None),
        (1000, "", errors.StreamError, None),
        (1005, "", errors.StreamError, None),
        (1001, "going away", errors.ServerError, 503),
        (1003, "", errors.ClientError, 400),
        (1007, "Request contains an invalid argument.", errors.ClientError, 400),
        (1008, "Operation is not implemented, or supported, or enabled.", errors.ServerError, 501),
        (1009, "", errors.ClientError, 413),
        (1011, "Deadline expired before operation could complete.", errors.ServerError, 504),
        (1011, "RESOURCE_EXHAUSTED", errors.ClientError, 429),
        (4000, "custom", errors.ServerError, 500),
    ],
)
def test_close_error_table(code: int | None, reason: str, klass: type, http: int | None) -> None:
    err = proto.close_error(code, reason, "models/m:BidiGenerateContent")
    assert type(err) is klass
    assert "models/m:BidiGenerateContent" in str(err)
    if http is not None:
        assert isinstance(err, errors.APIError) and err.code == http and err.close_code == code


def test_types_round_trip_with_wire_names() -> None:
    setup = types.LiveClientSetup(model="models/m", session_resumption=types.SessionResumptionConfig(handle="h"))
    wire = msgspec.json.encode(setup)
    assert wire == b'{"model":"models/m","sessionResumption":{"handle":"h"}}'
    assert msgspec.json.decode(wire, type=types.LiveClientSetup) == setup
