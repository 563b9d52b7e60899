"""Lenient JSON, as Google's front end reads request bodies (gemini-rest.md §13.4).

The service accepts single-quoted strings and trailing commas, and the docs' own curl samples
use both (the Files upload start body, the countTokens sample). :func:`to_json` rewrites those two
forms into strict JSON so msgspec can parse the result; everything else must already be JSON.
It runs only after a strict parse failed, so well-formed bodies never pay for it. One regex pass
splits the text into strings, trailing commas and runs of other characters (linear time).
"""

from __future__ import annotations

import re

_PIECES = re.compile(
    r"""
      "(?:[^"\\]|\\.)*"          # a JSON string, kept as is
    | '(?P<single>(?:[^'\\]|\\.)*)'  # a single-quoted string, rewritten
    | (?P<trailing>,)(?=\s*[}\]])  # a comma before a closing bracket, dropped
    | [^"',]+ | ,                # anything else, kept
    """,
    re.VERBOSE | re.DOTALL,
)


_INSIDE_SINGLE = re.compile(r"\\(.)|\"", re.DOTALL)


def _escape(match: re.Match[str]) -> str:
    if match.group(0) == '"':
        return '\\"'  # a bare double quote must be escaped inside a double-quoted string
    return "'" if match.group(1) == "'" else match.group(0)  # \' is not a JSON escape


def _requote(body: str) -> str:
    """The inside of a single-quoted string as a double-quoted JSON string."""
    return '"' + _INSIDE_SINGLE.sub(_escape, body) + '"'


def to_json(text: str) -> str:
    """``text`` with single-quoted strings double-quoted and trailing commas removed.

    An unterminated quote stays as it is, so the strict parser still reports it.
    """
    out: list[str] = []
    pos = 0
    for match in _PIECES.finditer(text):
        if match.start() != pos:  # an unmatched stray quote: keep the rest verbatim
            break
        pos = match.end()
        if match.group("trailing") is not None:
            continue
        single = match.group("single")
        out.append(_requote(single) if single is not None else match.group(0))
    out.append(text[pos:])
    return "".join(out)
