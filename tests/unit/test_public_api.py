"""The public surface: sorted and complete __all__, public module paths, nothing private leaking."""

from __future__ import annotations

import genai_async
from genai_async import types


def test_all_is_sorted_and_complete() -> None:
    assert genai_async.__all__ == sorted(genai_async.__all__)
    # "@py_builtins" & co. appear when pytest's assertion rewriting handles the package (it does for
    # packages that ship a pytest plugin, as ours does in some install modes)
    public = {n for n in dir(genai_async) if not n.startswith(("_", "@"))} | {"__version__"}
    public -= {"bulk", "emulator", "live", "sse"}  # submodules imported by tests or users, reached by their own path
    assert set(genai_async.__all__) == public


def test_exported_classes_show_public_module() -> None:
    for name in genai_async.__all__:
        obj = getattr(genai_async, name)
        if isinstance(obj, type):
            assert obj.__module__ in ("genai_async", "genai_async.errors"), name


def test_types_all_sorted() -> None:
    assert types.__all__ == sorted(types.__all__)


def test_live_module_names_its_classes() -> None:
    from genai_async import live

    assert live.__all__ == sorted(live.__all__)
    for name in live.__all__:
        assert getattr(live, name).__module__ == "genai_async.live"
