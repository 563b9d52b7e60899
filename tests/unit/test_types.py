"""genai_async.types against the wire fixtures: decoding, exact re-encoding, helpers and public surface."""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path
from typing import Any

import msgspec
import pytest

from genai_async import types
from genai_async.types._resources import _EmbedContentWire

FIXTURES = Path(__file__).parent.parent / "fixtures"

# Every unary *.json fixture maps to the type its body decodes into, or is listed as not ours.
JSON_TYPES: dict[str, Any] = {
    "generate_text.json": types.GenerateContentResponse,
    "generate_function_call.json": types.GenerateContentResponse,
    "generate_grounded.json": types.GenerateContentResponse,
    "generate_request_full.json": types.GenerateContentRequest,
    "stream_json_array.json": list[types.GenerateContentResponse],
    "count_tokens.json": types.CountTokensResponse,
    "embed_content.json": _EmbedContentWire,
    "batch_embed_contents.json": types.EmbedContentResponse,
    "model_get.json": types.Model,
    "models_list_page1.json": types.ListModelsResponse,
    "models_list_page2.json": types.ListModelsResponse,
    "file_get_processing.json": types.File,
    "file_get_active.json": types.File,
    "file_get_failed.json": types.File,
    "files_list.json": types.ListFilesResponse,
    "cached_content.json": types.CachedContent,
}
NOT_TYPES = {
    "empty_delete.json",  # {}
    "batch_operation_pending.json",  # batches are not modelled here
    "batch_operation_succeeded_inline.json",
    "upload_resumable_exchange.json",  # a description of HTTP exchanges, not a body
}
ERROR_BODIES = {p.name for p in FIXTURES.glob("error_*.json")}  # plain dicts for errors.py
SSE_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.sse"))


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sse_payloads(name: str) -> list[bytes]:
    """The ``data:`` payloads of a fixture (each event is one line); raw bytes outside framing are skipped."""
    lines = read(name).splitlines()
    return [line[5:].removeprefix(b" ") for line in lines if line.startswith(b"data:")]


def int64_as_numbers(value: Any) -> Any:
    """The fixture JSON with int64 strings (``sizeBytes``) written as numbers, as our encoder does."""
    if isinstance(value, dict):
        return {k: int(v) if k == "sizeBytes" else int64_as_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [int64_as_numbers(v) for v in value]
    return value


def test_every_json_fixture_is_covered() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")}
    assert names == set(JSON_TYPES) | NOT_TYPES | ERROR_BODIES


@pytest.mark.parametrize("name", sorted(JSON_TYPES))
def test_fixture_decodes_and_reencodes_exactly(name: str) -> None:
    raw = read(name)
    decoded = msgspec.json.Decoder(JSON_TYPES[name]).decode(raw)
    encoded = msgspec.json.encode(decoded)
    assert msgspec.json.Decoder(JSON_TYPES[name]).decode(encoded) == decoded
    # Same JSON as the fixture: camelCase names, omitted defaults and base64 all survive.
    assert json.loads(encoded) == int64_as_numbers(json.loads(raw))


@pytest.mark.parametrize("name", SSE_FIXTURES)
def test_sse_payloads_decode_and_reencode_exactly(name: str) -> None:
    decoder = msgspec.json.Decoder(types.GenerateContentResponse)
    decoded = 0
    for payload in sse_payloads(name):
        if "error" in json.loads(payload):
            continue  # error events belong to errors.py
        chunk = decoder.decode(payload)
        assert json.loads(msgspec.json.encode(chunk)) == json.loads(payload)
        decoded += 1
    assert decoded >= 1


def test_thought_signature_survives_byte_for_byte() -> None:
    raw = json.loads(read("generate_function_call.json"))
    wire_signature = raw["candidates"][0]["content"]["parts"][1]["thoughtSignature"]
    response = msgspec.json.decode(read("generate_function_call.json"), type=types.GenerateContentResponse)
    part = response.candidates[0].content.parts[1]  # type: ignore[index, union-attr]
    assert part.thought_signature == base64.b64decode(wire_signature)
    assert msgspec.json.encode(part).count(wire_signature.encode()) == 1


def test_unknown_fields_are_ignored() -> None:
    body = (
        b'{"candidates": [{"index": 0, "brandNew": {"x": 1},'
        b' "content": {"parts": [{"text": "hi", "newMeta": 7}]}}], "futureTopLevel": [1, 2]}'
    )
    response = msgspec.json.decode(body, type=types.GenerateContentResponse)
    assert response.text == "hi"


@pytest.mark.parametrize(
    ("enum_type", "field_json"),
    [
        (types.FinishReason, b'{"candidates": [{"finishReason": "SOMETHING_NEW"}]}'),
        (types.BlockReason, b'{"promptFeedback": {"blockReason": "SOMETHING_NEW"}}'),
        (types.HarmCategory, b'{"promptFeedback": {"safetyRatings": [{"category": "SOMETHING_NEW"}]}}'),
    ],
)
def test_unknown_enum_values_decode(enum_type: Any, field_json: bytes) -> None:
    response = msgspec.json.decode(field_json, type=types.GenerateContentResponse)
    value = msgspec.json.decode(msgspec.json.encode(response))
    assert json.dumps(value).count("SOMETHING_NEW") == 1  # re-encodes as the plain string
    member = enum_type("SOMETHING_NEW")
    assert member == "SOMETHING_NEW"
    assert isinstance(member, enum_type) and isinstance(member, str)


def test_unknown_enum_member_behaves_like_a_member() -> None:
    new = types.FinishReason("SOMETHING_NEW")
    assert new is types.FinishReason("SOMETHING_NEW")  # cached: one object per value
    assert new.name == new.value == "SOMETHING_NEW"
    assert new not in list(types.FinishReason)  # iteration lists only documented values
    assert pickle.loads(pickle.dumps(new)) is new
    assert types.FinishReason.STOP == "STOP"
    assert types.FinishReason("STOP") is types.FinishReason.STOP
    with pytest.raises(ValueError):
        types.FinishReason(3)


def test_decoded_enums_are_members() -> None:
    response = msgspec.json.decode(read("generate_text.json"), type=types.GenerateContentResponse)
    candidate = response.candidates[0]  # type: ignore[index]
    assert candidate.finish_reason is types.FinishReason.STOP
    assert response.usage_metadata.prompt_tokens_details[0].modality is types.Modality.TEXT  # type: ignore[union-attr, index]


def test_int64_string_decodes_to_int() -> None:
    file = msgspec.json.decode(read("file_get_active.json"), type=types.File)
    assert file.size_bytes == 2621440 and type(file.size_bytes) is int
    assert msgspec.json.decode(b'{"sizeBytes": 5}', type=types.File).size_bytes == 5
    assert msgspec.convert({"sizeBytes": "7"}, types.File).size_bytes == 7
    assert types.File(size_bytes="9").size_bytes == 9  # type: ignore[arg-type]
    assert msgspec.json.decode(b'{"maxItems": "3"}', type=types.Schema).max_items == 3
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"sizeBytes": "lots"}', type=types.File)


def test_bytes_are_standard_base64_and_url_safe_is_rejected() -> None:
    data = b"\xfb\xff\xfe"  # standard "+//+", URL-safe "-__-"
    assert msgspec.json.encode(types.Blob(data=data)) == b'{"data":"+//+"}'
    assert msgspec.json.decode(b'{"data": "+//+"}', type=types.Blob).data == data
    # msgspec accepts only the standard alphabet with padding, which is what Gemini emits. Input from
    # elsewhere (the official SDK sends URL-safe) must be normalised before decoding with these types.
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"data": "-__-"}', type=types.Blob)


def test_text_thoughts_and_function_calls_on_stream_thoughts() -> None:
    chunks = [msgspec.json.decode(p, type=types.GenerateContentResponse) for p in sse_payloads("stream_thoughts.sse")]
    assert chunks[0].text is None
    assert chunks[0].thoughts is not None and chunks[0].thoughts.startswith("**Clarifying the request**")
    assert chunks[2].thoughts is None
    assert chunks[2].text == "The sky looks blue because sunlight is scattered by the gas molecules in the atmosphere."
    assert all(chunk.function_calls is None for chunk in chunks)


def test_function_calls_and_text_on_generate_function_call() -> None:
    response = msgspec.json.decode(read("generate_function_call.json"), type=types.GenerateContentResponse)
    assert response.text is None  # the only text part is a thought
    assert response.thoughts is not None and "get_weather" in response.thoughts
    assert response.function_calls == [
        types.FunctionCall(name="get_weather", args={"city": "Zurich", "unit": "celsius"})
    ]


def test_text_joins_parts_and_returns_the_single_string_itself() -> None:
    text = "only part"
    single = types.GenerateContentResponse(
        candidates=[types.Candidate(content=types.Content(parts=[types.Part(text=text)]))]
    )
    assert single.text is text
    parts = [
        types.Part(text="a"),
        types.Part(text="T", thought=True),
        types.Part(text="b"),
        types.Part(text="c"),
    ]
    joined = types.GenerateContentResponse(candidates=[types.Candidate(content=types.Content(parts=parts))])
    assert joined.text == "abc" and joined.thoughts == "T"


def test_text_is_none_without_candidates_or_parts() -> None:
    blocked = msgspec.json.decode(sse_payloads("stream_prompt_blocked.sse")[0], type=types.GenerateContentResponse)
    assert blocked.text is None and blocked.function_calls is None
    assert blocked.prompt_feedback.block_reason is types.BlockReason.SAFETY  # type: ignore[union-attr]
    no_parts = types.GenerateContentResponse(candidates=[types.Candidate(content=types.Content(role="model"))])
    assert no_parts.text is None and no_parts.thoughts is None
    empty_text = types.GenerateContentResponse(
        candidates=[types.Candidate(content=types.Content(parts=[types.Part(text="")]))]
    )
    assert empty_text.text == ""  # a text part exists, so not None (same as the official SDK)


def test_code_execution_properties() -> None:
    parts = [
        types.Part.from_executable_code(code="print(1)", language="PYTHON"),
        types.Part.from_code_execution_result(outcome=types.Outcome.OUTCOME_OK, output="1\n"),
    ]
    response = types.GenerateContentResponse(candidates=[types.Candidate(content=types.Content(parts=parts))])
    assert response.executable_code == "print(1)"
    assert response.code_execution_result == "1\n"
    assert parts[0].executable_code.language is types.Language.PYTHON  # type: ignore[union-attr]


def as_wire(obj: msgspec.Struct) -> Any:
    return json.loads(msgspec.json.encode(obj))


def test_part_helpers_encode_to_documented_wire_shapes() -> None:
    assert as_wire(types.Part.from_text(text="hi")) == {"text": "hi"}
    assert as_wire(types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png")) == {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw=="}
    }
    uri = "https://generativelanguage.googleapis.com/v1beta/files/8k2mfq0xr1ab"
    assert as_wire(types.Part.from_uri(file_uri=uri, mime_type="application/pdf")) == {
        "fileData": {"mimeType": "application/pdf", "fileUri": uri}
    }
    assert as_wire(types.Part.from_uri(file_uri=uri)) == {"fileData": {"fileUri": uri}}
    assert as_wire(types.Part.from_uri(file_uri="gs://b/clip.mp4", media_resolution="MEDIA_RESOLUTION_LOW")) == {
        "fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/clip.mp4"},
        "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
    }
    assert as_wire(types.Part.from_function_call(name="f", args={"a": 1})) == {
        "functionCall": {"name": "f", "args": {"a": 1}}
    }
    assert as_wire(types.Part.from_function_response(name="f", response={"output": 2})) == {
        "functionResponse": {"name": "f", "response": {"output": 2}}
    }
    assert as_wire(types.Part.from_executable_code(code="x", language=types.Language.PYTHON)) == {
        "executableCode": {"language": "PYTHON", "code": "x"}
    }
    assert as_wire(types.Part.from_code_execution_result(outcome="OUTCOME_OK", output="")) == {
        "codeExecutionResult": {"outcome": "OUTCOME_OK", "output": ""}
    }


def test_snake_case_python_names_camel_case_wire_names() -> None:
    request = types.GenerateContentRequest(
        system_instruction=types.Content(parts=[types.Part(text="be brief")]),
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(mode="ANY", allowed_function_names=["f"]),
            retrieval_config=types.RetrievalConfig(lat_lng=types.LatLng(latitude=1.5, longitude=0.0)),
        ),
        generation_config=types.GenerationConfig(
            max_output_tokens=10,
            thinking_config=types.ThinkingConfig(thinking_budget=0, include_thoughts=False),
            response_schema=types.Schema(type="ARRAY", items=types.Schema(type="STRING"), property_ordering=["a"]),
        ),
    )
    assert as_wire(request) == {
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]},
            "retrievalConfig": {"latLng": {"latitude": 1.5, "longitude": 0.0}},
        },
        "generationConfig": {
            "maxOutputTokens": 10,
            "thinkingConfig": {"includeThoughts": False, "thinkingBudget": 0},
            "responseSchema": {"type": "ARRAY", "items": {"type": "STRING"}, "propertyOrdering": ["a"]},
        },
    }


def test_full_request_fixture_reads_with_python_names() -> None:
    request = msgspec.json.decode(read("generate_request_full.json"), type=types.GenerateContentRequest)
    config = request.generation_config
    assert config is not None and config.thinking_config is not None
    assert config.thinking_config.thinking_level == types.ThinkingLevel.LOW
    assert config.top_k == 64 and config.presence_penalty == 0.0
    declaration = request.tools[0].function_declarations[0]  # type: ignore[index]
    assert declaration.parameters_json_schema["required"] == ["city"]
    assert request.tools[1].google_search == types.GoogleSearch()  # type: ignore[index]
    inline = request.contents[0].parts[1].inline_data  # type: ignore[index]
    assert inline is not None and inline.data is not None and inline.data.startswith(b"\x89PNG")


def test_sdk_name_aliases() -> None:
    cited = msgspec.json.decode(
        b'{"citationSources": [{"startIndex": 1, "uri": "https://x"}]}', type=types.CitationMetadata
    )
    assert cited.citations == [types.CitationSource(start_index=1, uri="https://x")]
    model = msgspec.json.decode(read("model_get.json"), type=types.Model)
    assert model.supported_actions == model.supported_generation_methods
    assert types.GenerateContentResponseUsageMetadata is types.UsageMetadata
    assert types.GenerateContentResponsePromptFeedback is types.PromptFeedback
    assert types.BlockedReason is types.BlockReason


def test_embed_content_wire_shapes() -> None:
    single = msgspec.json.decode(read("embed_content.json"), type=_EmbedContentWire).to_response()
    assert single.embeddings is not None and len(single.embeddings) == 1
    assert len(single.embeddings[0].values or []) == 8
    batch = msgspec.json.decode(read("batch_embed_contents.json"), type=types.EmbedContentResponse)
    assert [len(e.values or []) for e in batch.embeddings or []] == [8, 8]


def test_falsy_values_are_sent_and_none_is_omitted() -> None:
    assert as_wire(types.Candidate(index=0, content=types.Content(parts=[]))) == {
        "content": {"parts": []},
        "index": 0,
    }
    response = types.GenerateContentResponse()
    response.parsed = {"not": "sent"}  # client-side, never on the wire
    assert as_wire(response) == {}
    assert as_wire(types.GenerateContentResponse()) == {}


def test_repr_shows_public_path_and_only_set_fields() -> None:
    assert repr(types.Part(text="hi")) == "Part(text='hi')"
    assert types.Part.__module__ == "genai_async.types"


def test_all_is_sorted_and_complete() -> None:
    assert types.__all__ == sorted(types.__all__)
    public = {name for name in dir(types) if not name.startswith(("_", "@"))}  # "@py_builtins": pytest
    assert set(types.__all__) == public
    for name in types.__all__:
        obj = getattr(types, name)
        if isinstance(obj, type):  # the named unions (ContentListUnion...) are not classes
            assert obj.__module__ == "genai_async.types", name


def test_every_public_struct_builds_a_decoder_and_encodes_empty() -> None:
    # Guards the __module__ rewrite: string annotations would be resolved in genai_async.types.
    for name in types.__all__:
        obj = getattr(types, name)
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct):
            msgspec.json.Decoder(obj)
            assert msgspec.json.encode(obj()) == b"{}", name


def test_pickle_round_trip() -> None:
    response = msgspec.json.decode(read("generate_function_call.json"), type=types.GenerateContentResponse)
    restored = pickle.loads(pickle.dumps(response))
    assert restored == response
    assert type(restored) is types.GenerateContentResponse
    assert b"genai_async.types" in pickle.dumps(response)
