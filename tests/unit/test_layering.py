"""The package's layering, pinned (ARCHITECTURE.md draws it).

The client core stands alone; the tools stand on it and never the other way round:

- ``import genai_async`` loads neither aiohttp (it loads with the first ``Client``), the emulator nor
  the command line: checked in a fresh interpreter, since this test process has loaded them all.
- No core module imports ``genai_async._cli`` or ``genai_async.emulator``, not even inside a
  function or under ``TYPE_CHECKING``: checked by reading every import statement with :mod:`ast`.
- ``genai_async.sse`` imports only the standard library; ``genai_async.types`` only msgspec and the
  standard library.
"""

from __future__ import annotations

import ast
import json
import pathlib
import re
import subprocess
import sys

import pytest

import genai_async

PACKAGE = pathlib.Path(genai_async.__file__).parent
TOOLS = ("genai_async._cli", "genai_async.emulator", "genai_async.__main__")
"""On top: the core never imports them. ``__main__`` (``python -m genai_async``) is the command line's
second door, three lines that call ``genai_async._cli.main``: a tool, not the core."""
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def module_name(path: pathlib.Path) -> str:
    parts = ["genai_async", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: pathlib.Path, *, type_checking: bool = True, deferred: bool = True) -> set[str]:
    """Every module ``path`` imports, as absolute names, wherever the statement is (functions included).

    ``from . import x`` counts as both the package and ``package.x`` (x may be a submodule). With
    ``type_checking=False`` the bodies of ``if TYPE_CHECKING:`` are left out (they never run); with
    ``deferred=False`` the imports inside functions (they run on the first call, not at import).
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    if not deferred:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def is_under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_import_walk_sees_imports_of_every_kind() -> None:
    """The walk itself: a relative import, one inside a function and one under TYPE_CHECKING are found."""
    graph = modules()
    assert "genai_async._transport" in graph["genai_async._client"]  # relative, top level
    assert "genai_async._client" in graph["genai_async"]  # under TYPE_CHECKING in __init__
    assert "genai_async.emulator" in graph["genai_async._cli.main"]  # inside a function
    assert "genai_async._cli.common" in graph["genai_async._cli.bench.cli"]  # two levels up, then down
    assert "genai_async._progress" in graph["genai_async._bulk._run"]


def test_core_modules_never_import_the_tools() -> None:
    graph = modules()
    core = {name: found for name, found in graph.items() if not is_under(name, TOOLS)}
    assert "genai_async._client" in core and "genai_async.bulk" in core
    offending = {name: sorted(m for m in found if is_under(m, TOOLS)) for name, found in core.items()}
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_emulator_never_imports_the_client() -> None:
    """The emulator speaks bytes only, so the client and the official SDK are tested against the same wire."""
    graph = modules()
    emulator = {name: found for name, found in graph.items() if is_under(name, ("genai_async.emulator",))}
    assert emulator
    offending = {
        name: sorted(m for m in found if m.startswith("genai_async") and not is_under(m, ("genai_async.emulator",)))
        for name, found in emulator.items()
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_cli_package_has_no_import_cycle_with_the_bench() -> None:
    graph = modules()
    common = graph["genai_async._cli.common"]
    assert not [m for m in common if is_under(m, ("genai_async._cli",)) and m != "genai_async._cli.common"]
    for name, found in graph.items():
        if is_under(name, ("genai_async._cli",)) and name not in ("genai_async._cli", "genai_async._cli.main"):
            assert not [m for m in found if is_under(m, ("genai_async._cli.main",))], name
            assert "genai_async._cli" not in found, name  # the package __init__ imports main


def test_sse_imports_only_the_standard_library() -> None:
    found = imports_of(PACKAGE / "sse.py")
    assert found  # the decoder does import something (codecs, ...)
    assert sorted(m for m in found if m.partition(".")[0] not in STDLIB) == []


TYPES_DEFERRED = {
    # The explicit exceptions: a convenience method that hands its work to a helper module imports it
    # on its first call (never at import), the way the official SDK's types offer them:
    ("_dump.py", "genai_async._normalize"),  # model_validate(): dicts of either spelling -> checked Structs
    ("_tools.py", "genai_async._callables"),  # FunctionDeclaration.from_callable(): a declaration from a def
    ("_response.py", "genai_async._display"),  # _repr_markdown_(): a response shown in a notebook
}


def _outside_types(found: set[str], allowed: frozenset[str]) -> set[str]:
    return {m for m in found if m.partition(".")[0] not in allowed and not is_under(m, ("genai_async.types",))}


def test_types_import_only_msgspec_and_the_standard_library() -> None:
    """At import, ``types`` loads msgspec, the standard library and ``errors`` (their typed errors; itself
    standard library only, pinned below); everything else only on a method's first call, listed above."""
    allowed = STDLIB | {"msgspec"}
    deferred: set[tuple[str, str]] = set()
    for path in sorted((PACKAGE / "types").rglob("*.py")):
        at_import = _outside_types(imports_of(path, type_checking=False, deferred=False), allowed)
        assert {m for m in at_import if not is_under(m, ("genai_async.errors",))} == set(), path.name
        later = _outside_types(imports_of(path, type_checking=False), allowed) - at_import
        deferred.update((path.name, m) for m in later if not is_under(m, ("genai_async.errors",)))
        # typing_extensions (``Self`` for Python 3.10) under ``if TYPE_CHECKING:`` is read only by the type
        # checker (which ships it); at run time it is never imported.
        type_only = _outside_types(imports_of(path) - imports_of(path, type_checking=False), allowed)
        # PIL.Image (the image a PartUnion may hold, as in the official SDK) likewise only under TYPE_CHECKING.
        assert type_only <= {"typing_extensions", "typing_extensions.Self", "PIL.Image", "PIL.Image.Image"}, path.name
    names = {(file, module.rpartition(".")[0] if module.count(".") > 1 else module) for file, module in deferred}
    assert names == TYPES_DEFERRED


def test_errors_import_only_the_standard_library_at_run_time() -> None:
    found = imports_of(PACKAGE / "errors.py", type_checking=False, deferred=False)
    assert found
    assert sorted(m for m in found if m.partition(".")[0] not in STDLIB) == []
    # on the error paths only (api_error, inband_error), the JSON decoder is imported when first used
    later = imports_of(PACKAGE / "errors.py", type_checking=False) - found
    assert sorted(m for m in later if m.partition(".")[0] not in STDLIB) == [
        "genai_async._codec",
        "genai_async._codec.decode_json",
    ]


def test_loading_types_loads_only_msgspec_besides_the_standard_library_and_genai_async() -> None:
    loaded = loaded_after("import genai_async.types")
    assert "genai_async.types" in loaded and "msgspec" in loaded
    baseline = set(loaded_after("import msgspec"))  # the interpreter's own and what msgspec loads (typing_extensions)
    others = [m for m in loaded if m not in baseline and m.partition(".")[0] not in STDLIB | {"genai_async"}]
    ours = [m for m in loaded if is_under(m, ("genai_async",))]
    assert others == []
    assert sorted(m for m in ours if not is_under(m, ("genai_async.types",))) == [
        "genai_async",
        "genai_async._version",
        "genai_async.errors",
    ]


def test_the_type_checking_exception_is_only_typing_extensions() -> None:
    """The walk tells run-time imports from type-checking ones: _base.py's Self is the latter."""
    base = PACKAGE / "types" / "_base.py"
    assert "typing_extensions" in imports_of(base)
    assert "typing_extensions" not in imports_of(base, type_checking=False)
    assert "msgspec" in imports_of(base, type_checking=False)


def loaded_after(statement: str) -> list[str]:
    """The modules a fresh interpreter has loaded after ``statement``."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_import_genai_async_loads_neither_aiohttp_nor_the_emulator_nor_the_cli() -> None:
    loaded = loaded_after("import genai_async\nfrom genai_async import types, errors")
    assert "genai_async.types" in loaded  # the statement ran
    assert [m for m in loaded if is_under(m, ("aiohttp", *TOOLS))] == []


@pytest.mark.parametrize("module", ["genai_async.sse", "genai_async.types"])
def test_the_leaf_modules_load_without_aiohttp(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert module in loaded
    assert [m for m in loaded if is_under(m, ("aiohttp", *TOOLS))] == []


def test_the_console_script_target_and_python_dash_m_still_work() -> None:
    """``genai-async = "genai_async._cli:main"`` and ``python -m genai_async`` (no network: --version)."""
    from importlib.metadata import entry_points

    from genai_async._cli import main

    (script,) = entry_points(group="console_scripts", name="genai-async")
    assert script.value == "genai_async._cli:main"
    assert script.load() is main
    out = subprocess.run(
        [sys.executable, "-m", "genai_async", "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == f"genai-async {genai_async.__version__}"


def test_architecture_md_names_every_module_and_the_readme_links_it() -> None:
    """The picture stays the package's: a new top-level module or package must be drawn in it."""
    root = PACKAGE.parent
    picture = (root / "ARCHITECTURE.md").read_text(encoding="utf-8")
    names = {
        path.stem if path.suffix else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").is_file())
    }
    assert "_client" in names and "_cli" in names
    missing = sorted(n for n in names - {"__init__", "_version"} if not re.search(rf"(?<![\w.]){n}\b", picture))
    assert missing == []
    for stage in ("_transport", "sse", "_codec", "_accumulate"):
        assert stage in picture
    assert "(ARCHITECTURE.md)" in (root / "README.md").read_text(encoding="utf-8")
