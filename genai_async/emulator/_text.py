"""Plausible, deterministic English for emulated answers and thought summaries.

The answer is assembled from small rules, each observable in a test: a persona opener taken from
the system instruction ("Meow! I'm Neko..."), acknowledgements of media parts, a summary of
function results, the "N dogs -> 4N paws" arithmetic over the conversation, then sentences from a
fixed bank that mention a keyword of the latest prompt. Any stop sequence that appears in the
prompt is echoed after the first body sentence so its truncation can be observed. All choices go
through the ``random.Random`` passed in; nothing here reads global state.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from typing import Any

from ._schema import Hints

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
    hints: Hints = field(default_factory=Hints)
    """Filled by the caller once ``latest_text`` is known (see :func:`hints`)."""


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_CAPITALISED = re.compile(r"(?<![A-Za-z'-])[A-Z][A-Za-z'-]*")
_ACRONYM = re.compile(r"(?<![A-Za-z'-])[A-Z](?:['-]*[A-Z])+['-]*(?![A-Za-z'-])")
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_NUMBER_HINT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_MAX_HINTS = 32
_HINT_WINDOW = 64 * 1024


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def keyword(text: str) -> str:
    """The most topical word of ``text``: an acronym, else a proper noun, else the longest content word."""
    return hints(text).keyword


def _sentence_starts(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (only the whitespace before it is scanned)."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i < 0 or text[i] in ".!?:"


def proper_nouns(text: str, limit: int = _MAX_HINTS) -> list[str]:
    """Capitalised words that do not start a sentence and are not stopwords (``Zurich``, ``Neko``).

    Such words one space apart make one name (``New York``, ``San Francisco``). At most ``limit``
    names; only capitalised words are visited, so the cost is linear in the text.
    """
    out: list[str] = []
    run: list[str] = []
    end: int | None = None
    for match in _CAPITALISED.finditer(text):
        if run and (end is None or text[end : match.start()] != " "):
            out.append(" ".join(run))
            run = []
            if len(out) >= limit:
                return out
        word = match.group().strip("'-")
        end = match.end()
        if word.isupper() or word.lower() in STOPWORDS or _sentence_starts(text, match.start()):
            end = None  # ends the run: the next capitalised word starts a new one
            continue
        run.append(word)
    if run:
        out.append(" ".join(run))
    return out[:limit]


def window(text: str) -> str:
    """The part of a long prompt hints are read from: its head and its tail (where the question usually is)."""
    if len(text) <= 2 * _HINT_WINDOW:
        return text
    return text[:_HINT_WINDOW] + "\n" + text[-_HINT_WINDOW:]


class PromptHints(Hints):
    """:class:`Hints` read from a prompt: the keyword at once, the rest on first use (a plain answer
    needs only the keyword; names, numbers and dates fill tool arguments and schema instances)."""

    def __init__(self, text: str) -> None:  # no dataclass __init__: the fields are the properties below
        self._prompt = text
        self._head_tail = window(text)
        acronym = _ACRONYM.search(self._head_tail)
        if acronym is not None:
            self.keyword = acronym.group().strip("'-")
            return
        first = proper_nouns(self._head_tail, limit=1)
        if first:
            self.keyword = first[0]
            return
        content = [w.strip("'-") for w in _LONG_WORD.findall(self._head_tail)]
        content = [w for w in content if len(w) >= 4 and w.lower() not in STOPWORDS]
        self.keyword = max(content, key=len) if content else "this topic"

    @functools.cached_property
    def names(self) -> list[str]:  # type: ignore[override]
        return proper_nouns(self._head_tail)

    @functools.cached_property
    def text(self) -> str:  # type: ignore[override]
        return self._prompt.lower()

    @functools.cached_property
    def dates(self) -> list[str]:  # type: ignore[override]
        return _DATE.findall(self._head_tail)[:_MAX_HINTS]

    @functools.cached_property
    def numbers(self) -> list[float]:  # type: ignore[override]
        head_tail = _DATE.sub(" ", self._head_tail) if self.dates else self._head_tail
        return [float(n) for n in _NUMBER_HINT.findall(head_tail)[:_MAX_HINTS]]


def hints(text: str) -> Hints:
    """Everything the answer rules lift from the latest prompt (see :class:`PromptHints`).

    Bounded work: names, numbers and the keyword come from :func:`window`, so a 1M-token prompt
    costs no more here than a 30k-token one. ``Hints.text`` is the whole prompt lower-cased.
    """
    return PromptHints(text)


def numbers(text: str) -> list[float]:
    return [float(n) for n in _NUMBER_HINT.findall(text)]


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
    kw = prompt.hints.keyword or "this topic"
    head = [persona(prompt.system)] if prompt.system else []
    head += [f"I received {m}." for m in prompt.media]
    if prompt.function_results:
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
    kw = prompt.hints.keyword or "this topic"
    titles = rng.sample(_THOUGHT_TITLES, count)
    bodies = rng.sample(_THOUGHT_BODIES, count)
    return [f"**{_fill(t, kw)}**\n\n{_fill(b, kw)}\n\n\n" for t, b in zip(titles, bodies, strict=True)]


def tool_thought(name: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in args.items()) or "no arguments"
    return f"**Identifying the tool**\n\nThe request needs the {name} function, so I will call it with {shown}.\n\n\n"
