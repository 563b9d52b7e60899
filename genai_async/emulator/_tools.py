"""Decide whether an emulated turn calls a declared function, and with which arguments (§3.9-3.10, §5.6).

Rules, in order: ``functionCallingConfig.mode`` ``NONE`` never calls; ``ANY`` always calls (limited to
``allowedFunctionNames``); otherwise a turn answering function results replies in text, and a user
turn calls every function it names literally, else the one whose name or description shares the
most words with the prompt ("weather" -> ``get_weather``). Arguments are a schema instance whose
strings come from the prompt where they fit (a capitalised word fills ``city``).
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


def choose(request: dict[str, Any], prompt: str) -> list[dict[str, Any]]:
    """The declarations to call this turn, in declaration order; ``[]`` means answer in text."""
    found = declarations(request)
    mode, allowed = _mode(request)
    if not found or mode == "NONE":
        return []
    lowered, terms = prompt.lower(), _terms(prompt)

    def _score(declaration: dict[str, Any]) -> int:
        return _score_of(declaration, lowered, terms)

    if mode == "ANY":
        pool = [d for d in found if not allowed or d["name"] in allowed] or found
        return [max(pool, key=_score)]
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
