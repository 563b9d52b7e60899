"""Make (and check) JSON instances of the schema subsets Gemini accepts (gemini-rest.md §3.4).

Two dialects arrive: the OpenAPI-style ``Schema`` (upper-case ``type``, ``nullable``,
``propertyOrdering``, ``anyOf``) and plain JSON Schema (lower-case or list ``type``, ``$defs`` /
``$ref``, ``oneOf``, ``const``, ``prefixItems``). Both are read through one normaliser. Generation is
deterministic for a given ``random.Random``; ``Hints`` lets values come from the prompt (a city
named in the question fills a ``city`` argument). ``pattern`` and ``format`` other than the common
date/email/uri/uuid forms are not honoured.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

_MAX_DEPTH = 5
_PROPER_NOUN_SLOTS = re.compile(
    r"city|location|place|country|town|destination|origin|name|person|team|company|region|state|address"
)
_DATE_SLOTS = re.compile(r"date|day\b|^when$|deadline|start|end")
_WORDS = ["alpha", "harbor", "maple", "signal", "orbit", "lantern", "meadow", "copper", "river", "summit"]


@dataclass
class Hints:
    """Values lifted from the prompt: names, numbers, the lower-cased text, a keyword and ISO dates."""

    names: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    text: str = ""
    keyword: str = ""
    dates: list[str] = field(default_factory=list)


def _type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [str(k).lower() for k in kind if str(k).lower() != "null"]
        return kinds[0] if kinds else "null"
    if isinstance(kind, str) and kind.upper() != "TYPE_UNSPECIFIED":
        return kind.lower()
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Generator:
    def __init__(self, root: dict[str, Any], rng: random.Random, hints: Hints) -> None:
        self.root = root
        self.rng = rng
        self.hints = hints
        self.names = list(hints.names)
        self.numbers = list(hints.numbers)
        self.dates = list(hints.dates)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        for _ in range(16):
            ref = schema.get("$ref") or schema.get("ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                return schema
            target: Any = self.root
            for piece in ref.lstrip("#/").split("/"):
                target = target.get(piece.replace("~1", "/").replace("~0", "~"), {}) if piece else target
            schema = target if isinstance(target, dict) else {}
        return schema

    def value(self, schema: Any, name: str, depth: int) -> Any:
        if not isinstance(schema, dict):
            return self.string({}, name)
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.enum(schema["enum"])
        options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if options:
            usable = [o for o in options if _type(self.resolve(o)) != "null"] or options
            pick = usable[0] if depth >= _MAX_DEPTH else self.rng.choice(usable)
            return self.value(pick, name, depth + 1)
        kind = _type(schema) or "string"
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind == "integer":
            return int(self.number(schema, integer=True))
        if kind == "number":
            return self.number(schema, integer=False)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.string(schema, name)

    def enum(self, values: list[Any]) -> Any:
        mentioned = [v for v in values if isinstance(v, str) and v.lower() in self.hints.text]
        return mentioned[0] if mentioned else self.rng.choice(values)

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        order = [p for p in schema.get("propertyOrdering") or [] if p in props]
        order += [p for p in props if p not in order]
        if depth >= _MAX_DEPTH:
            order = [p for p in order if p in required]
        return {p: self.value(props[p], p, depth + 1) for p in order}

    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = _int(schema.get("minItems"), 0)
        high = _int(schema.get("maxItems"), max(low, 3))
        count = low if depth >= _MAX_DEPTH else self.rng.randint(max(low, min(1, high)), max(low, min(high, 3)))
        prefix = list(schema.get("prefixItems") or [])
        items = schema.get("items") or {}
        return [self.value(prefix[i] if i < len(prefix) else items, name, depth + 1) for i in range(count)]

    def number(self, schema: dict[str, Any], *, integer: bool) -> float:
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0)))
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 100)))
        if "exclusiveMinimum" in schema and "minimum" not in schema:
            low += 1 if integer else 0.01
        if "exclusiveMaximum" in schema and "maximum" not in schema:
            high -= 1 if integer else 0.01
        if self.numbers:
            return min(max(self.numbers.pop(0), low), high)
        if integer:
            return float(self.rng.randint(int(low), max(int(low), int(high))))
        return round(self.rng.uniform(low, high), 2)

    def string(self, schema: dict[str, Any], name: str) -> str:
        fmt = str(schema.get("format", "")).lower()
        fixed = {
            "date-time": "2026-08-21T09:14:03Z",
            "date": "2026-08-21",
            "time": "09:14:03",
            "email": "user@example.com",
            "uri": "https://example.com/" + (self.hints.keyword or "page").lower(),
            "url": "https://example.com/" + (self.hints.keyword or "page").lower(),
        }
        if self.dates and (fmt in ("date", "date-time") or _DATE_SLOTS.search(name.lower())):
            day = self.dates.pop(0)
            return day + "T09:00:00Z" if fmt == "date-time" else day
        if fmt in fixed:
            return fixed[fmt]
        if fmt == "uuid":
            a, b, c, d, e = (self.rng.getrandbits(bits) for bits in (32, 16, 12, 12, 48))
            return f"{a:08x}-{b:04x}-4{c:03x}-8{d:03x}-{e:012x}"
        if self.names and _PROPER_NOUN_SLOTS.search(name.lower()):
            text = self.names.pop(0)
        elif self.hints.keyword and not name:
            text = self.hints.keyword
        else:
            text = " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(1, 3)))
        low, high = _int(schema.get("minLength"), 0), _int(schema.get("maxLength"), 10_000)
        text = (text + " " + " ".join(_WORDS))[: max(low, len(text))] if len(text) < low else text
        return text[:high]


def instance(schema: dict[str, Any], rng: random.Random, hints: Hints | None = None) -> Any:
    """A value valid against ``schema`` (either dialect), deterministic for ``rng``'s state."""
    return _Generator(schema, rng, hints or Hints()).value(schema, "", 0)


def enum_values(schema: dict[str, Any]) -> list[Any]:
    """The ``enum`` of a schema (after ``$ref``), or ``[]``."""
    resolved = _Generator(schema, random.Random(0), Hints()).resolve(schema)
    values = resolved.get("enum")
    return list(values) if isinstance(values, list) else []


def check(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, path: str = "$") -> list[str]:
    """Problems found validating ``value`` against ``schema``; ``[]`` means valid."""
    root = root if root is not None else schema
    schema = _Generator(root, random.Random(0), Hints()).resolve(schema)
    if "const" in schema:
        return [] if value == schema["const"] else [f"{path}: expected {schema['const']!r}"]
    if schema.get("enum") and value not in schema["enum"]:
        return [f"{path}: {value!r} not in enum"]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        ok = any(not check(value, o, root, path) for o in options)
        return [] if ok else [f"{path}: matches no anyOf/oneOf option"]
    if value is None and (schema.get("nullable") or "null" in _types(schema)):
        return []
    kind = _type(schema)
    expected: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "null": type(None),
        "integer": int,
        "number": (int, float),
    }
    if kind in expected and (not isinstance(value, expected[kind]) or _bool_as_number(value, kind)):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    problems: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        problems += [f"{path}: missing {r!r}" for r in schema.get("required") or [] if r not in value]
        if schema.get("additionalProperties") is False:
            problems += [f"{path}: unexpected {k!r}" for k in value if k not in props]
        for key, sub in value.items():
            if key in props:
                problems += check(sub, props[key], root, f"{path}.{key}")
    if isinstance(value, list):
        if len(value) < _int(schema.get("minItems"), 0) or len(value) > _int(schema.get("maxItems"), 1 << 30):
            problems.append(f"{path}: {len(value)} items outside minItems/maxItems")
        for i, item in enumerate(value):
            problems += check(item, schema.get("items") or {}, root, f"{path}[{i}]")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < float(schema["minimum"]):
            problems.append(f"{path}: below minimum")
        if "maximum" in schema and value > float(schema["maximum"]):
            problems.append(f"{path}: above maximum")
    return problems


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return [str(k).lower() for k in kind] if isinstance(kind, list) else [str(kind).lower()]


def _bool_as_number(value: Any, kind: str) -> bool:
    return isinstance(value, bool) and kind in ("integer", "number")
