"""Decide whether an emulated turn calls a declared function, and with which arguments (§3.9-3.10, §5.6).

Rules, in order: ``functionCallingConfig.mode`` ``NONE`` never calls; ``ANY`` always calls (limited to
``allowedFunctionNames``); otherwise a turn answering function results replies in text, and a user
turn calls every function it names literally (several calls in one answer), else the one whose name
or description shares the most words with the prompt ("weather" -> ``get_weather``). A prompt whose
steps are joined by "then" ("call get_location, then get_weather") takes one round per step: each
answer after the function results calls the next step's functions, and text follows the last step.
Arguments are a schema instance whose strings come from the prompt where they fit (a capitalised word
fills ``city``).
"""

from __future__ import annotations

import random
import re
from typing import Any

from ._schema import Hints, instance
from ._text import STOPWORDS


def declarations(request: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in request.get("tools") or []:
        out += [d for d in tool.get("functionDeclarations") or [] if isinstance(d, dict) and d.get("name")]
    return out


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 4 and w.lower() not in STOPWORDS}


def _score_of(declaration: dict[str, Any], lowered: str, terms: set[str]) -> int:
    """How strongly the prompt (lower-cased, and its terms computed once) asks for ``declaration``."""
    name = str(declaration["name"])
    score = 10 if name.lower() in lowered or name.replace("_", " ").lower() in lowered else 0
    wanted = _terms(name.replace("_", " ")) | _terms(str(declaration.get("description", "")))
    return score + len(wanted & terms)


def _mode(request: dict[str, Any]) -> tuple[str, list[str]]:
    config = (request.get("toolConfig") or {}).get("functionCallingConfig") or {}
    return str(config.get("mode") or "AUTO").upper(), list(config.get("allowedFunctionNames") or [])


def _answers_function_results(request: dict[str, Any]) -> bool:
    contents = request.get("contents") or [{}]
    return any("functionResponse" in part for part in contents[-1].get("parts") or [])


def _rounds_done(request: dict[str, Any]) -> int:
    """Model turns that called functions since the last user turn holding text (the prompt)."""
    done = 0
    for content in reversed(request.get("contents") or []):
        parts = content.get("parts") or []
        if content.get("role") == "model":
            done += any("functionCall" in p for p in parts)
        elif any("text" in p for p in parts):
            break
    return done


_THEN = re.compile(r"\bthen\b", re.IGNORECASE)


def choose(request: dict[str, Any], hints: Hints) -> list[dict[str, Any]]:
    """The declarations to call this turn, in declaration order; ``[]`` means answer in text."""
    found = declarations(request)
    if not found:
        return []
    prompt = hints.text
    mode, allowed = _mode(request)
    if mode == "NONE":
        return []
    lowered, terms = prompt.lower(), _terms(prompt)

    def _score(declaration: dict[str, Any]) -> int:
        return _score_of(declaration, lowered, terms)

    if mode == "ANY":
        pool = [d for d in found if not allowed or d["name"] in allowed] or found
        return [max(pool, key=_score)]
    steps = _THEN.split(prompt)
    if len(steps) > 1 and any(_score_of(d, steps[0].lower(), _terms(steps[0])) >= 10 for d in found):
        # "call a then b": one round per step, each calling the functions its step names
        step = _rounds_done(request)
        if step >= len(steps):
            return []
        lowered_step, step_terms = steps[step].lower(), _terms(steps[step])
        return [d for d in found if _score_of(d, lowered_step, step_terms) >= 10]
    if _answers_function_results(request):
        return []
    named = [d for d in found if _score(d) >= 10]
    if named:
        return named
    best = max(found, key=_score)
    return [best] if _score(best) > 0 else []


def call(declaration: dict[str, Any], rng: random.Random, hints: Hints) -> dict[str, Any]:
    """A ``functionCall`` object with arguments valid for the declared parameters."""
    schema = declaration.get("parametersJsonSchema") or declaration.get("parameters")
    result: dict[str, Any] = {"name": declaration["name"]}
    if isinstance(schema, dict):
        args = instance(schema, rng, hints)
        result["args"] = args if isinstance(args, dict) else {"value": args}
    return result
