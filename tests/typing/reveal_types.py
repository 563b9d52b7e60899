# Checked by mypy, never run: tests/unit/test_typecheck.py::test_revealed_types runs mypy on this file and
# compares each reveal_type with the "# R:" comment on its line (compare msgspec's
# tests/typing/basic_typing_examples.py). Keep one reveal_type per line.
import pathlib

import PIL.Image
from typing_extensions import reveal_type

import genai_async
from genai_async import types


def check_response(response: types.GenerateContentResponse) -> None:
    reveal_type(response.text)  # R: str | None
    reveal_type(response.thoughts)  # R: str | None
    reveal_type(response.function_calls)  # R: list[genai_async.types._content.FunctionCall] | None
    reveal_type(response.parsed)  # R: Any
    assert response.candidates is not None
    candidate = response.candidates[0]
    reveal_type(candidate)  # R: genai_async.types._response.Candidate
    reveal_type(candidate.finish_reason)  # R: genai_async.types._enums.FinishReason | None
    reveal_type(candidate.index)  # R: int | None
    assert candidate.content is not None and candidate.content.parts is not None
    part = candidate.content.parts[0]
    reveal_type(part.thought_signature)  # R: bytes | None
    reveal_type(part.function_call)  # R: genai_async.types._content.FunctionCall | None
    assert response.usage_metadata is not None
    reveal_type(response.usage_metadata.total_token_count)  # R: int | None


def check_resources(file: types.File, model: types.Model, page: types.ListModelsResponse) -> None:
    reveal_type(file.size_bytes)  # R: int | None
    reveal_type(file.state)  # R: genai_async.types._enums.FileState | None
    reveal_type(model.supported_actions)  # R: list[str] | None
    reveal_type(page.models)  # R: list[genai_async.types._resources.Model] | None


def check_constructors() -> None:
    reveal_type(types.Part.from_text(text="hi"))  # R: genai_async.types._content.Part
    reveal_type(types.Part.from_bytes(data=b"x", mime_type="image/png"))  # R: genai_async.types._content.Part
    config = types.GenerateContentConfig(
        temperature=0.2,
        thinking_config=types.ThinkingConfig(thinking_level=types.ThinkingLevel.LOW),
        safety_settings=[types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="OFF")],
    )
    reveal_type(config.thinking_config)  # R: genai_async.types._generation.ThinkingConfig | None
    reveal_type(types.FinishReason("NEW"))  # R: genai_async.types._enums.FinishReason


def check_batches(job: types.BatchJob, item: types.InlinedResponse) -> None:
    reveal_type(job.state)  # R: genai_async.types._batches.JobState | None
    reveal_type(job.done)  # R: bool
    assert job.batch_stats is not None
    reveal_type(job.batch_stats.request_count)  # R: int | None
    reveal_type(item.response)  # R: genai_async.types._response.GenerateContentResponse | None
    reveal_type(item.key)  # R: Any


async def check_named_unions(client: genai_async.Client, path: pathlib.Path, image: PIL.Image.Image) -> None:
    # What the public methods take is spelled by types.ContentListUnion & co.: these shapes pass...
    prompts: list[str] = ["Hello", "there"]  # a list variable (the unions use Sequence: no invariance trap)
    await client.models.generate_content(model="m", contents=prompts)
    await client.models.generate_content(model="m", contents=[path, "Describe this file"])
    await client.models.generate_content(model="m", contents=[image, b"\x89PNG", types.Part(text="two images")])
    await client.models.generate_content(model="m", contents={"role": "user", "parts": [{"text": "Hi"}]})
    await client.models.count_tokens(model="m", contents=[types.Content(role="user", parts=[types.Part(text="x")])])
    await client.models.embed_content(model="m", contents=["one", "two"])
    chat = client.chats.create(model="m", history=[{"role": "user", "parts": [{"text": "Hi"}]}])
    await chat.send_message(["Look:", types.Part(text="more")])
    # ...and these are caught before they run (an unneeded ignore would fail: warn_unused_ignores)
    await client.models.generate_content(model="m", contents=42)  # type: ignore[arg-type]
    await chat.send_message(None)  # type: ignore[arg-type]
