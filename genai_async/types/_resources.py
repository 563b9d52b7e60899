"""Responses of the token-counting, embedding, model, file and cache endpoints (docs §6-§10).

Embeddings: ``:batchEmbedContents`` answers ``{"embeddings": [...]}``, which decodes straight into the
public ``EmbedContentResponse``. ``:embedContent`` answers ``{"embedding": {...}}``; decode that into
the private ``_EmbedContentWire`` and call ``to_response()``, so callers always see ``.embeddings``
(a list), as in the official SDK, which itself uses batchEmbedContents even for one input.
"""

from typing import Any

from ._base import Int64, _Base, _coerce_int64
from ._enums import FileSource, FileState
from ._metadata import ModalityTokenCount


class CountTokensResponse(_Base):
    """How many tokens a prompt would use."""

    total_tokens: int | None = None
    cached_content_token_count: int | None = None
    """Tokens supplied by ``cached_content``, part of ``total_tokens``."""
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None


class ContentEmbeddingStatistics(_Base):
    """Statistics of the input behind one embedding (Vertex AI only)."""

    truncated: bool | None = None
    token_count: float | None = None


class ContentEmbedding(_Base):
    """One embedding vector."""

    values: list[float] | None = None
    statistics: ContentEmbeddingStatistics | None = None


class EmbedContentMetadata(_Base):
    """Billing details of an embedding request (Vertex AI only)."""

    billable_character_count: int | None = None


class EmbedContentResponse(_Base):
    """The embeddings of an ``embed_content`` call, one per input, in input order."""

    embeddings: list[ContentEmbedding] | None = None
    metadata: EmbedContentMetadata | None = None
    usage_metadata: dict[str, Any] | None = None
    """Token usage when the service reports it; its shape is not pinned down, so it stays raw JSON."""


class _EmbedContentWire(_Base):
    """The ``:embedContent`` body, ``{"embedding": {...}}``; convert with ``to_response()``."""

    embedding: ContentEmbedding | None = None

    def to_response(self) -> EmbedContentResponse:
        return EmbedContentResponse(embeddings=None if self.embedding is None else [self.embedding])


class Model(_Base):
    """A model's limits, default sampling settings and supported methods."""

    name: str | None = None
    """``models/{id}``."""
    base_model_id: str | None = None
    version: str | None = None
    display_name: str | None = None
    description: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] | None = None
    """E.g. ``generateContent``, ``countTokens``, ``embedContent``."""
    temperature: float | None = None
    """Default temperature; sampling fields are absent on embedding and media models."""
    max_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: bool | None = None
    """Whether the model supports thinking."""

    @property
    def supported_actions(self) -> list[str] | None:
        """The official SDK's name for ``supported_generation_methods``."""
        return self.supported_generation_methods


class ListModelsResponse(_Base):
    """One page of ``models.list``."""

    models: list[Model] | None = None
    next_page_token: str | None = None
    """Absent (or empty) on the last page."""


class FileStatus(_Base):
    """Why a file's processing failed (a ``google.rpc.Status``)."""

    code: int | None = None
    message: str | None = None
    details: list[dict[str, Any]] | None = None


class File(_Base):
    """A file uploaded to the Files API."""

    name: str | None = None
    """``files/{id}``."""
    display_name: str | None = None
    mime_type: str | None = None
    size_bytes: Int64 | None = None
    """Always an ``int`` in Python, though the wire sends this int64 as a JSON string."""
    create_time: str | None = None
    update_time: str | None = None
    expiration_time: str | None = None
    """About 48 hours after creation."""
    sha256_hash: str | None = None
    """Base64 text on the wire, kept opaque."""
    uri: str | None = None
    """What to pass as ``Part.from_uri(file_uri=...)``."""
    download_uri: str | None = None
    """Generated files only."""
    state: FileState | None = None
    """Poll until ``ACTIVE`` before using the file in a prompt."""
    source: FileSource | None = None
    video_metadata: dict[str, Any] | None = None
    """E.g. ``{"videoDuration": "12.5s"}``."""
    error: FileStatus | None = None
    """Set when ``state`` is ``FAILED``."""

    def __post_init__(self) -> None:
        _coerce_int64(self, ("size_bytes",))


class ListFilesResponse(_Base):
    """One page of ``files.list``."""

    files: list[File] | None = None
    next_page_token: str | None = None


class CachedContentUsageMetadata(_Base):
    """Size of a context cache."""

    total_token_count: int | None = None
    text_count: int | None = None
    image_count: int | None = None
    video_duration_seconds: int | None = None
    audio_duration_seconds: int | None = None


class CachedContent(_Base):
    """A context cache; its contents are never echoed back."""

    name: str | None = None
    """``cachedContents/{id}``; pass it as ``GenerateContentConfig.cached_content``."""
    display_name: str | None = None
    model: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    expire_time: str | None = None
    usage_metadata: CachedContentUsageMetadata | None = None


class ListCachedContentsResponse(_Base):
    """One page of ``caches.list``."""

    cached_contents: list[CachedContent] | None = None
    next_page_token: str | None = None
