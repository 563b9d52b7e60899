"""Prompts for a benchmark: read from a file, or synthesised with a target input length.

- ``.jsonl`` files hold one ``{"prompt": "..."}`` object per line; any other file is plain text
  with one prompt per non-empty line.
- Synthetic prompts are built from a fixed list of common English words, which Gemini's tokenizer
  (and the emulator's) counts as about one token each. Lengths are drawn from a normal
  distribution (mean, standard deviation, at least one word) with ``random.Random(seed)``, so the
  same seed gives the same prompts on every machine and in every worker. The true count is what
  the service reports in ``usageMetadata.promptTokenCount``, which the run records.
"""

from __future__ import annotations

import json
import pathlib
import random

_WORDS = """
time year people way day man thing woman life child world school state family student group country
problem hand part place case week company system program question work government number night point
home water room mother area money story fact month lot right study book eye job word business issue
side kind head house service friend father power hour game line end member law car city community name
president team minute idea kid body information back parent face others level office door health person
art war history party result change morning reason research girl guy moment air teacher force education
foot boy age policy music market sense nation plan college interest death experience effect class control
care field development role effort rate heart drug show leader light voice wife police mind price report
decision son view relationship town road arm difference value building action model season society tax
director position player record paper space ground form event official matter center couple site project
activity star table need court oil situation cost industry figure street image phone data picture practice
piece land product doctor wall patient worker news test movie north love support technology step baby
computer type attention film tree source organization hair window evidence population site garden river
""".split()
_INSTRUCTION = "Write a short story using these words"
"""Leading words that make the synthetic prompt ask for output (counted in the target length)."""


class PromptError(ValueError):
    """A prompt file is missing, empty or malformed."""


def load_prompts(path: str | pathlib.Path) -> list[str]:
    """The prompts of a ``.jsonl`` (``{"prompt": ...}`` per line) or plain-text file."""
    file = pathlib.Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"--prompts {path}: {exc.strerror or exc}") from exc
    lines = [line for line in text.splitlines() if line.strip()]
    prompts = _jsonl(lines, path) if file.suffix.lower() == ".jsonl" else [line.strip() for line in lines]
    if not prompts:
        raise PromptError(f"--prompts {path}: no prompts in the file")
    return prompts


def _jsonl(lines: list[str], path: str | pathlib.Path) -> list[str]:
    prompts = []
    for number, line in enumerate(lines, 1):
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise PromptError(f"--prompts {path}: line {number} is not JSON ({exc})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str) or not item["prompt"]:
            raise PromptError(f'--prompts {path}: line {number} needs a non-empty "prompt" string')
        prompts.append(item["prompt"])
    return prompts


def synthetic_prompts(count: int, mean_tokens: int, stddev: float = 0.0, seed: int = 0) -> list[str]:
    """``count`` prompts of about ``mean_tokens`` words each (normal spread ``stddev``), deterministic."""
    if mean_tokens < 1:
        raise PromptError("--input-tokens must be at least 1")
    rng = random.Random(seed)
    head = _INSTRUCTION.split()
    prompts = []
    for _ in range(count):
        length = max(1, round(rng.gauss(mean_tokens, stddev))) if stddev > 0 else mean_tokens
        words = head[:length] + [rng.choice(_WORDS) for _ in range(max(0, length - len(head)))]
        prompts.append(" ".join(words))
    return prompts
