"""Plausible, deterministic English for emulated answers and thought summaries.

The answer is assembled from small rules, each observable in a test: a persona opener taken from
the system instruction ("Meow! I'm Neko..."), acknowledgements of media parts, a summary of
function results, the "N dogs -> 4N paws" arithmetic over the conversation, then sentences from a
fixed bank that mention a keyword of the latest prompt. Any stop sequence that appears in the
prompt is echoed after the first body sentence so its truncation can be observed. All choices go
through the ``random.Random`` passed in; nothing here reads global state.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its just me more most my no nor not now of off
    on once only or other our out over own please same she should so some such tell than that the their
    them then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours hello hi there thanks thank explain give
    show write make know want need like get let use using used i'm i've i'd i'll""".split()
)

_OPENERS = [
    "{Kw} is easiest to understand through a few concrete examples.",
    "At its core, {kw} comes down to a handful of simple ideas that build on each other.",
    "Here is a short overview of {kw}.",
    "Good question about {kw}; the short answer is that it depends on context, but the main idea is simple.",
    "When people ask about {kw}, they usually want the big picture first.",
    "Let's look at {kw} step by step.",
]
_BODY = [
    "The key point is that small, well-defined steps add up to the behaviour you see.",
    "Each part does one job, and the interesting results come from how the parts interact.",
    "A useful way to think about it is as a pipeline: input goes in, it is transformed, and a result comes out.",
    "In practice, most of the work happens in preparation rather than in the final step.",
    "The same pattern shows up in many places, from software systems to everyday routines.",
    "It helps to start with a simple example and then add detail only when it is needed.",
    "Experts often describe it in terms of trade-offs between speed, cost and accuracy.",
    "There are a few common misconceptions, mostly about how much happens automatically.",
    "Measuring the result carefully is what turns a rough idea into a reliable one.",
    "Over time, feedback from real use shapes how the whole process evolves.",
    "The details vary, but the underlying principle stays the same.",
    "If you want to go deeper, compare two concrete cases side by side and note what changes.",
    "Patterns learned from many examples let the system handle cases it has never seen before.",
    "Clear inputs tend to produce clear outputs, which is why framing the question matters.",
    "Nothing here is magic; it is careful engineering applied consistently.",
]
_CLOSERS = [
    "In short, {kw} is about turning simple rules into useful results.",
    "I hope this gives you a clear starting point for {kw}.",
    "That is the essence of {kw} in a nutshell.",
    "Let me know if you would like more detail on any part of {kw}.",
]
_THOUGHT_TITLES = ["Clarifying the request", "Planning the answer", "Considering {Kw}", "Structuring the response"]
_THOUGHT_BODIES = [
    "The user is asking about {kw}. A short, accurate overview with one concrete example should work best.",
    "I'll state the main idea about {kw} first, then add a supporting detail and a brief summary.",
    "I should keep the explanation of {kw} simple and avoid unnecessary jargon.",
]
_SOUNDS = {
    "cat": "Meow!",
    "kitten": "Mew!",
    "dog": "Woof!",
    "puppy": "Yip!",
    "pirate": "Arr!",
    "cow": "Moo!",
    "duck": "Quack!",
    "owl": "Hoo hoo!",
    "robot": "Beep boop!",
    "lion": "Roar!",
    "frog": "Ribbit!",
}
_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_PETS = re.compile(
    r"\b(\d+|" + "|".join(_NUMBERS) + r")\s+(?:[a-z]+\s+)?(dogs?|cats?|puppies|puppy|kittens?)\b", re.IGNORECASE
)


@dataclass
class Prompt:
    """What the answer rules look at, extracted from a request."""

    latest_text: str = ""
    user_texts: list[str] = field(default_factory=list)
    turns: int = 1
    system: str = ""
    media: list[str] = field(default_factory=list)
    function_results: list[tuple[str, Any]] = field(default_factory=list)
    stop_sequences: list[str] = field(default_factory=list)


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def keyword(text: str) -> str:
    """The most topical word of ``text``: an acronym, else a proper noun, else the longest content word."""
    found = [w.strip("'-") for w in words(text)]
    acronyms = [w for w in found if len(w) >= 2 and w.isupper()]
    nouns = proper_nouns(text)
    content = [w for w in found if len(w) >= 4 and w.lower() not in STOPWORDS]
    for group in (acronyms, nouns):
        if group:
            return group[0]
    return max(content, key=len) if content else "this topic"


def proper_nouns(text: str) -> list[str]:
    """Capitalised words that do not start a sentence and are not stopwords (``Zurich``, ``Neko``)."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group().strip("'-")
        before = text[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?\n:"
        if word[:1].isupper() and not word.isupper() and not starts_sentence and word.lower() not in STOPWORDS:
            out.append(word)
    return out


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", text)]


def persona(system: str) -> str:
    """An opener reflecting the system instruction, e.g. ``Meow! I'm Neko, your friendly cat.``"""
    if not system.strip():
        return ""
    name = re.search(r"(?:your name is|you are called|you're called|call yourself)\s+([A-Z][\w-]*)", system, re.I)
    role = re.search(r"\byou are (?:a|an)\s+([a-z][a-z -]{0,30}?)(?=[.,;!]|$| who| that| named| called)", system, re.I)
    sound = ""
    if role:
        sound = _SOUNDS.get(role.group(1).split()[-1].lower(), "")
    if name:
        who = f"I'm {name.group(1)}" + (f", your friendly {role.group(1).lower()}" if role else "")
        return " ".join(filter(None, [sound, who + "."]))
    if role:
        return " ".join(filter(None, [sound, f"Speaking as a {role.group(1).lower()}:"]))
    phrase = " ".join(system.split()[:8]).rstrip(".,;:")
    return f'Following your instructions ("{phrase}"):'


def paws(texts: list[str]) -> str:
    """``I have 2 dogs`` ... ``how many paws?`` -> a sentence with 4*N; empty when the rule does not apply."""
    if not texts or "paw" not in texts[-1].lower():
        return ""
    animals = 0
    for text in texts:
        for count, _kind in _PETS.findall(text):
            animals += int(count) if count.isdigit() else _NUMBERS[count.lower()]
    if not animals:
        return ""
    return f"With {animals} four-legged pets at 4 paws each, there are {4 * animals} paws in your house."


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, sub in value.items():
            out += _flatten(sub, key if not prefix or prefix in ("output", "result") else f"{prefix} {key}")
        return out
    return [(prefix or "result", value)]


def function_summary(results: list[tuple[str, Any]]) -> str:
    sentences = []
    for name, response in results:
        facts = [f"{k} is {v}" for k, v in _flatten(response)[:6]]
        joined = ", ".join(facts[:-1]) + f" and {facts[-1]}" if len(facts) > 1 else "".join(facts)
        sentences.append(f"Based on the {name} result, {joined or 'there is nothing to report'}.")
    return " ".join(sentences)


def _fill(template: str, kw: str) -> str:
    return template.replace("{Kw}", kw[:1].upper() + kw[1:]).replace("{kw}", kw)


def answer(prompt: Prompt, rng: random.Random) -> str:
    """The full answer text before stop sequences and token limits are applied."""
    kw = keyword(prompt.latest_text)
    head = [persona(prompt.system)]
    head += [f"I received {m}." for m in prompt.media]
    head.append(function_summary(prompt.function_results))
    head.append(paws(prompt.user_texts))
    if prompt.turns > 2:
        head.append(f"Picking up from our conversation so far ({prompt.turns} messages):")
    body = [_fill(rng.choice(_OPENERS), kw)]
    body += rng.sample(_BODY, rng.randint(2, 4))
    body.append(_fill(rng.choice(_CLOSERS), kw))
    stops = [s for s in prompt.stop_sequences if s and s in prompt.latest_text]
    if stops:
        body[0] = body[0] + stops[0]
    return " ".join(s for s in head + body if s)


def thoughts(prompt: Prompt, rng: random.Random, count: int) -> list[str]:
    """``count`` thought summaries in the service's ``**Title**\\n\\n...`` shape."""
    kw = keyword(prompt.latest_text)
    titles = rng.sample(_THOUGHT_TITLES, count)
    bodies = rng.sample(_THOUGHT_BODIES, count)
    return [f"**{_fill(t, kw)}**\n\n{_fill(b, kw)}\n\n\n" for t, b in zip(titles, bodies, strict=True)]


def tool_thought(name: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in args.items()) or "no arguments"
    return f"**Identifying the tool**\n\nThe request needs the {name} function, so I will call it with {shown}.\n\n\n"
