"""Input lines and the journal read in pieces: every piece size gives the same lines and keys, and
each line shape becomes the right request (or a typed error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genai_async import errors
from genai_async._bulk import _input, _journal

LINES = [
    {"prompt": "héllo — ✅"},
    {"key": "k2", "contents": "c", "config": {"temperature": 0.5}},
    {
        "key": 3.5,
        "contents": [{"role": "user", "parts": [{"text": "w"}]}],
        "generationConfig": {"topK": 3},
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "safetySettings": [],
    },
    {
        "key": ["list", 1],
        "request": {
            "model": "models/x",
            "contents": [{"parts": [{"text": "r"}]}],
            "generation_config": {"max_output_tokens": 5},
        },
    },
]


@pytest.mark.parametrize("piece", [1, 2, 7, 64, 1 << 20])
def test_lines_survive_any_read_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in LINES[:2])
        + "\n\n"
        + "\n".join(json.dumps(x) for x in LINES[2:])
    )  # a blank line, no final newline
    monkeypatch.setattr(_input, "_READ", piece)
    items = list(_input.from_path(src))
    assert [i.key for i in items] == [1, "k2", 3.5, ["list", 1]]
    assert items[0].contents == "héllo — ✅" and items[0].config is None
    assert items[1].config is not None and items[1].config.temperature == 0.5
    third = items[2].config
    assert third is not None and third.top_k == 3 and third.system_instruction is not None
    fourth = items[3].config
    assert fourth is not None and fourth.max_output_tokens == 5 and all(i.error is None for i in items)
    assert _input.count_lines(src) == 4


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"prompt": "a", "config": {}}', "must be a string and come alone"),
        (b'{"request": 5}', "'request' must be a GenerateContentRequest"),
        (b'{"key": 1}', "no 'prompt', 'contents' or 'request'"),
        (b'{"contents": "x", "extra": 1}', "unknown keys ['extra']"),
        (b'{"contents": "x", "config": {"temprature": 1}}', "did you mean 'temperature'"),
        (b"[", "not JSON"),
        (b"7", "expected a JSON object"),
    ],
)
def test_bad_lines_carry_a_typed_error(line: bytes, message: str) -> None:
    item = _input.parse_line(9, line)
    assert isinstance(item.error, errors.ConfigurationError) and message in str(item.error)
    assert "line 9" in str(item.error)


@pytest.mark.parametrize("piece", [1, 3, 16, 1 << 20])
def test_journal_scan_any_read_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"key": "a", "response": {}}\n{"key": 2, "error": {"type": "X"}}\n{"key": "c", "resp')
    monkeypatch.setattr(_journal, "_READ", piece)
    resume = _journal.scan(str(out))
    assert (resume.lines, resume.failed, resume.torn) == (2, 1, True)
    assert "a" in resume and "2" in resume and "c" not in resume
    assert out.read_bytes() == b'{"key": "a", "response": {}}\n{"key": 2, "error": {"type": "X"}}\n'
    assert not _journal.scan(str(out)).torn
