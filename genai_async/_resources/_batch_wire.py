"""The Batch API's wire shapes on our side: user requests into inline batch items, and lines of a
responses file into results (used by ``batches.py``).

An inline item may be given as a ``types.InlinedRequest`` or a dict with ``contents``/``config``/
``metadata`` (the official SDK's shapes, mapped through the same ``generate_request`` as
``generate_content``), as ``{"request": GenerateContentRequest, "metadata"}`` (the wire's own item), or
as a wire ``GenerateContentRequest`` dict or Struct. A responses-file line is ``{"key", "response"}``
or ``{"key", "error" | "status"}``; an embeddings job's responses hold an ``embedding``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .. import errors
from .._codec import decode
from .._coerce import generate_config, generate_request, model_path
from .._contents import has_paths, load_paths, to_content
from .._normalize import _field_map, to_struct
from ..types import GenerateContentRequest, GenerateContentResponse
from ..types._batches import (
    InlinedEmbedContentResponse,
    InlinedRequest,
    InlinedResponse,
    JobError,
    SingleEmbedContentResponse,
    _InlineItem,
)

_INLINED_KEYS = frozenset({"model", "contents", "metadata", "config"})
BatchResult = InlinedResponse | InlinedEmbedContentResponse


async def inline_item(item: Any, path: str) -> _InlineItem:
    """One inline request in the wire's ``{"request": GenerateContentRequest, "metadata"}`` shape."""
    if isinstance(item, GenerateContentRequest):
        return _InlineItem(request=item)
    if isinstance(item, Mapping) and "request" in item:
        extra = set(item) - {"request", "metadata"}
        if extra:
            raise errors.ConfigurationError(f"{path}: unknown keys {sorted(extra)} next to 'request'")
        request = to_struct(item["request"], GenerateContentRequest, f"{path}.request")
        return _InlineItem(request=request, metadata=_metadata(item.get("metadata"), path))
    if isinstance(item, InlinedRequest) or (isinstance(item, Mapping) and set(item) <= _INLINED_KEYS):
        inlined = to_struct(item, InlinedRequest, path)
        contents = await load_paths(inlined.contents) if has_paths(inlined.contents) else inlined.contents
        request = generate_request(contents, generate_config(inlined.config))
        if inlined.model is not None:
            request.model = model_path(inlined.model)
        return _InlineItem(request=request, metadata=_metadata(inlined.metadata, path))
    if isinstance(item, Mapping):  # a wire-shaped GenerateContentRequest (generationConfig & co.)
        wire_names = _field_map(GenerateContentRequest)[0]
        unknown = [k for k in item if k not in wire_names and k not in _INLINED_KEYS]
        if unknown:
            raise errors.ConfigurationError(
                f"{path}: unknown key {unknown[0]!r}; an inline request has contents, config and metadata "
                "(or the fields of a wire GenerateContentRequest, such as generationConfig)"
            )
        body = {k: v for k, v in item.items() if k != "metadata"}
        request = to_struct(body, GenerateContentRequest, path)
        if request.system_instruction is not None:
            request.system_instruction = to_content(request.system_instruction, f"{path}.system_instruction")
        return _InlineItem(request=request, metadata=_metadata(item.get("metadata"), path))
    raise errors.ConfigurationError(
        f"{path} must be a types.InlinedRequest, a dict with contents/config/metadata, or a "
        f"GenerateContentRequest, got {type(item).__name__}"
    )


def _metadata(value: Any, path: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return None if value is None else dict(value)
    raise errors.ConfigurationError(f"{path}.metadata must be a dict such as {{'key': 'request-1'}}")


class _ResultLine(msgspec.Struct, kw_only=True):
    key: Any = None
    response: msgspec.Raw = msgspec.Raw()
    error: JobError | None = None
    status: JobError | None = None


class _EmbedProbe(msgspec.Struct):
    embedding: msgspec.Raw = msgspec.Raw()


_LINE = msgspec.json.Decoder(_ResultLine)
_PROBE = msgspec.json.Decoder(_EmbedProbe)


def result_line(line: bytes, file_name: str) -> BatchResult:
    """One line of a responses file: ``{"key", "response"}`` or ``{"key", "error" | "status"}``; an
    embeddings job's responses hold an ``embedding``."""
    try:
        parsed = _LINE.decode(line)
        raw = bytes(parsed.response) if parsed.response else None
        if raw is not None and _PROBE.decode(raw).embedding:
            embed = decode(raw, SingleEmbedContentResponse)
            return InlinedEmbedContentResponse(
                response=embed, metadata={"key": parsed.key}, error=parsed.error or parsed.status
            )
        response = decode(raw, GenerateContentResponse) if raw is not None else None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise errors.StreamError(f"{file_name}: a line of the responses file is not a valid result ({exc})") from exc
    error = parsed.error or parsed.status
    if response is None and error is None:
        error = JobError(message="the responses file has neither a response nor an error for this key")
    return InlinedResponse(response=response, metadata={"key": parsed.key}, error=error)
