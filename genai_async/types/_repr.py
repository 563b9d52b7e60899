"""``repr()`` of every type: short, and indented like the official SDK's.

The official SDK prints nested models over several lines, two spaces per level, and cuts bytes after
100; a 1 MB inline PNG would otherwise print as 2.9 million characters. Decided here:
- Unset (``None``) fields are left out, and fields keep their declaration order.
- An object whose one-line form is short (at most 100 characters where it starts, and no nested
  line breaks) stays on one line: ``Part(text='hi')``. Anything longer puts one field per line.
- ``bytes`` over 100 are cut and their size given; ``str`` over 300 characters likewise. Lists and
  dicts show their first 5 items and how many more there are (an embedding has 3,072 values).
- ``parsed`` and ``parse_error`` (client-side, outside the fields) are shown when set.
"""

from __future__ import annotations

from typing import Any

import msgspec

MAX_BYTES = 100
MAX_CHARS = 300
MAX_ITEMS = 5
WIDTH = 100
_STEP = "  "


def pretty(obj: Any, indent: str = "") -> str:
    """The repr of ``obj`` as it appears at ``indent`` (continuation lines are indented to match)."""
    if isinstance(obj, msgspec.Struct):
        return _struct(obj, indent)
    if isinstance(obj, str):
        return repr(obj) if len(obj) <= MAX_CHARS else f"{repr(obj[:MAX_CHARS])[:-1]}...'({len(obj):,} chars)"
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        return repr(data) if len(data) <= MAX_BYTES else f"{repr(data[:MAX_BYTES])[:-1]}...'({len(data):,} bytes)"
    if isinstance(obj, (list, tuple)):
        items = [pretty(v, indent + _STEP) for v in obj[:MAX_ITEMS]]
        return _wrap("[", items, "]", len(obj), indent)
    if isinstance(obj, dict):
        items = [f"{k!r}: {pretty(v, indent + _STEP)}" for k, v in list(obj.items())[:MAX_ITEMS]]
        return _wrap("{", items, "}", len(obj), indent)
    return repr(obj).replace("\n", "\n" + indent)


def _struct(obj: msgspec.Struct, indent: str) -> str:
    inner = indent + _STEP
    items = [
        f"{name}={pretty(value, inner)}" for name in obj.__struct_fields__ if (value := getattr(obj, name)) is not None
    ]
    extra = getattr(obj, "__dict__", None)
    if extra:
        items += [f"{key.lstrip('_')}={pretty(value, inner)}" for key, value in extra.items() if value is not None]
    return _wrap(f"{type(obj).__name__}(", items, ")", len(items), indent)


def _wrap(opening: str, items: list[str], closing: str, total: int, indent: str) -> str:
    more = total - len(items)
    if more > 0:
        items = [*items, f"<... {more} more items ...>"]
    one = f"{opening}{', '.join(items)}{closing}"
    if len(indent) + len(one) <= WIDTH and "\n" not in one:
        return one
    inner = indent + _STEP
    return f"{opening}\n" + ",\n".join(inner + item for item in items) + f",\n{indent}{closing}"
