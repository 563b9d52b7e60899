"""Pure helpers behind client.files: file names, upload URL re-pointing, chunk sizes."""

from __future__ import annotations

import pytest

from genai_async import errors, types
from genai_async._resources._upload import chunk_size, repoint
from genai_async._resources.files import file_path

MiB = 1024 * 1024


@pytest.mark.parametrize(
    "value",
    [
        "files/8k2mfq0xr1ab",
        "8k2mfq0xr1ab",
        " files/8k2mfq0xr1ab ",
        "https://generativelanguage.googleapis.com/v1beta/files/8k2mfq0xr1ab",
        "https://generativelanguage.googleapis.com/v1beta/files/8k2mfq0xr1ab:download?alt=media",
        types.File(name="files/8k2mfq0xr1ab"),
    ],
)
def test_file_path_accepts_every_spelling(value: object) -> None:
    assert file_path(value) == "files/8k2mfq0xr1ab"


@pytest.mark.parametrize(
    "value", ["", "files/", "Files/abc", "files/ABC", "a_b", "x" * 41, "files/a/b", 3, None, types.File()]
)
def test_file_path_rejects_bad_ids(value: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="not a file name"):
        file_path(value)


def test_file_path_accepts_the_longest_id() -> None:
    assert file_path("a" * 40) == "files/" + "a" * 40


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=U&upload_protocol=resumable",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/upload/v1beta/files?upload_id=U&upload_protocol=resumable",
        ),
        (
            "https://a.example/upload/v1beta/files?upload_id=U",
            "https://proxy.example:8443",
            "https://proxy.example:8443/upload/v1beta/files?upload_id=U",
        ),
        (
            "/upload/v1beta/files?upload_id=U",
            "http://localhost:9",
            "http://localhost:9/upload/v1beta/files?upload_id=U",
        ),
    ],
)
def test_repoint_keeps_path_and_query(url: str, base: str, expected: str) -> None:
    assert repoint(url, base) == expected


@pytest.mark.parametrize(
    ("preferred", "granularity", "expected"),
    [
        (8 * MiB, 8 * MiB, 8 * MiB),
        (8 * MiB, 256 * 1024, 8 * MiB),
        (8 * MiB, 3 * MiB, 6 * MiB),
        (8 * MiB, 16 * MiB, 16 * MiB),
        (4096, 1000, 4000),
    ],
)
def test_chunk_size_is_a_multiple_of_the_granularity(preferred: int, granularity: int, expected: int) -> None:
    assert chunk_size(preferred, granularity) == expected
