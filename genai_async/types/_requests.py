"""Wire-only request bodies of the countTokens, embedding, file and cache endpoints (docs §6-§10).

Private: the resource modules build these from the public configs and the emulator decodes them. The
generateContent body is the public ``GenerateContentRequest``.
"""

from ._base import _Base
from ._config import GenerateContentRequest
from ._content import Content
from ._resources import File
from ._tools import Tool, ToolConfig


class _CountTokensRequest(_Base):
    """``:countTokens`` body: ``contents`` or ``generate_content_request``, never both."""

    contents: list[Content] | None = None
    generate_content_request: GenerateContentRequest | None = None


class _EmbedContentRequest(_Base):
    """``:embedContent`` body, and one element of ``:batchEmbedContents``' ``requests``."""

    model: str | None = None
    """``models/{m}``; in a batch it must equal the model in the URL."""
    content: Content | None = None
    task_type: str | None = None
    title: str | None = None
    output_dimensionality: int | None = None


class _BatchEmbedContentsRequest(_Base):
    """``:batchEmbedContents`` body."""

    requests: list[_EmbedContentRequest] | None = None


class _CreateCachedContentRequest(_Base):
    """``POST cachedContents`` body; set ``ttl`` or ``expire_time``."""

    model: str | None = None
    contents: list[Content] | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    display_name: str | None = None
    ttl: str | None = None
    expire_time: str | None = None


class _UpdateCachedContentRequest(_Base):
    """``PATCH cachedContents/{id}`` body: only the expiry is mutable."""

    ttl: str | None = None
    expire_time: str | None = None


class _FileEnvelope(_Base):
    """``{"file": File}``: the resumable-upload start body and the finalize reply."""

    file: File | None = None
