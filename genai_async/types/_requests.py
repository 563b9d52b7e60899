"""Request bodies as sent on the wire, apart from the configs users pass (``_config.py``).

``GenerateContentRequest`` is public (batch requests and ``countTokens`` nest it, and users may build
one); the bodies of the countTokens, embedding, file and cache endpoints are private: the resource
modules build them from the public configs (docs §3.1, §6-§10).
"""

from ._base import _Base
from ._content import Content
from ._generation import GenerationConfig, SafetySetting
from ._resources import File
from ._tools import Tool, ToolConfig


class GenerateContentRequest(_Base):
    """The body of ``generateContent`` / ``streamGenerateContent``, also nested in batch and countTokens."""

    contents: list[Content] | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    generation_config: GenerationConfig | None = None
    cached_content: str | None = None
    """``cachedContents/{id}``; the cache then supplies system instruction, tools and a prefix."""
    service_tier: str | None = None
    """``"standard"``, ``"flex"`` or ``"priority"`` (lower case)."""
    store: bool | None = None
    labels: dict[str, str] | None = None
    continuation_token: bytes | None = None
    """Resume a response that finished with ``FinishReason.CONTINUATION``."""
    model: str | None = None
    """``models/{m}``; only where the request is nested (countTokens, batch), otherwise in the URL."""


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
