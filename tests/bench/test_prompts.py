"""Prompt files and synthetic prompts."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from genai_async._cli.bench.prompts import PromptError, load_prompts, synthetic_prompts
from genai_async.emulator._tokens import count_text


def test_jsonl_and_text_files(tmp_path: Path) -> None:
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"prompt": "first"}\n\n{"prompt": "second", "id": 2}\n')
    assert load_prompts(jsonl) == ["first", "second"]
    text = tmp_path / "p.txt"
    text.write_text("one prompt\n\n  another one  \n")
    assert load_prompts(text) == ["one prompt", "another one"]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("e.txt", "\n\n", "no prompts"),
        ("b.jsonl", "{not json}\n", "line 1 is not JSON"),
        ("k.jsonl", '{"text": "x"}\n', 'needs a non-empty "prompt"'),
    ],
)
def test_bad_prompt_files_say_what_is_wrong(tmp_path: Path, name: str, body: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(PromptError, match=message):
        load_prompts(path)
    with pytest.raises(PromptError, match="--prompts"):
        load_prompts(tmp_path / "missing.txt")


def test_synthetic_prompts_are_deterministic_and_near_the_target_length() -> None:
    a = synthetic_prompts(200, 64, 16, seed=3)
    assert a == synthetic_prompts(200, 64, 16, seed=3)
    assert a != synthetic_prompts(200, 64, 16, seed=4)
    lengths = [count_text(p) for p in a]  # the emulator's tokenizer: one token per word here
    assert statistics.mean(lengths) == pytest.approx(64, rel=0.1)
    assert 10 < statistics.stdev(lengths) < 22
    assert {count_text(p) for p in synthetic_prompts(5, 20)} == {20}
