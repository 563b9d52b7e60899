"""The tools on top of the client: the ``genai-async`` command line and its load tester.

Nothing in the client imports this package (tests/unit/test_layering.py pins it). Inside it, data
and imports flow one way: :mod:`.main` (the parser and the dispatch) -> the commands (:mod:`.live`,
:mod:`.repl`, :mod:`.run`, :mod:`.bench`) -> :mod:`.common` (default model, emulator key, usage
error, opening a client) -> the client. ``main`` is the console script ``genai-async``.
"""

from .main import main

__all__ = ["main"]
