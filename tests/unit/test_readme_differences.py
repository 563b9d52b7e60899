"""The README's "Differences from the official SDK" stays current: what it says is missing is missing.

When a feature lands, the matching test fails and says to update the list (and this table).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import genai_async
from genai_async import errors

README = (Path(__file__).parents[2] / "README.md").read_text()
DIFFERENCES = " ".join(README.split("## Differences from the official SDK", 1)[1].split("\n## ", 1)[0].split())
"""The section's text with its line breaks folded into spaces."""

NOT_IMPLEMENTED = {  # the README's words -> where the official SDK has it
    "tunings": ("", "tunings"),
    "operations": ("", "operations"),
    "`generate_images`": ("models", "generate_images"),
    "`generate_videos`": ("models", "generate_videos"),
    "`edit_image`": ("models", "edit_image"),
    "`upscale_image`": ("models", "upscale_image"),
    "`compute_tokens`": ("models", "compute_tokens"),
    "`files.register_files`": ("files", "register_files"),
    "file search stores": ("", "file_search_stores"),
    "interactions/agents": ("", "interactions"),
}


@pytest.mark.parametrize("words", sorted(NOT_IMPLEMENTED))
def test_what_the_readme_calls_missing_is_missing(words: str) -> None:
    assert words in DIFFERENCES, f"README differences no longer mention {words}: update this table"
    resource, name = NOT_IMPLEMENTED[words]
    client = genai_async.Client(api_key="k")
    owner = getattr(client, resource) if resource else client
    assert not hasattr(owner, name), (
        f"client.{resource + '.' if resource else ''}{name} exists now: take {words} out of the README's "
        "'Not implemented' list (Differences from the official SDK) and out of this table"
    )


def test_function_calling_difference_is_documented() -> None:
    assert "stops the loop and returns the call to you" in DIFFERENCES


def test_vertexai_is_refused_as_the_readme_says() -> None:
    assert "`vertexai=True`" in DIFFERENCES
    with pytest.raises(errors.ConfigurationError):
        genai_async.Client(api_key="k", vertexai=True)


def test_live_function_calling_difference_is_documented() -> None:
    assert "In a live session the session runs your Python functions too" in DIFFERENCES
    assert "AutomaticFunctionCallingConfig(disable=True)" in DIFFERENCES
