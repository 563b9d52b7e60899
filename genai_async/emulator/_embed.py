"""Deterministic embeddings (gemini-rest.md §7): unit-norm vectors seeded from the text.

The vector depends on the model, the text and the task type (as real embeddings do), not on the
emulator seed, so two emulators agree. ``outputDimensionality`` truncates and the result is
re-normalised to unit length.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

from ._catalogue import embedding_dimensions, resource_name
from ._validate import check_content
from ._wire import ApiError


def _text(content: Any, where: str) -> str:
    check_content(content, f"{where}.content")
    parts = content.get("parts")
    if not parts:
        raise ApiError(400, f"* {where}.content.parts: content must contain at least one part\n")
    return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))


def vector(model: str, text: str, task_type: str, size: int) -> list[float]:
    seed = hashlib.sha256(f"{model}\x00{task_type}\x00{text}".encode()).digest()
    rng = random.Random(seed)
    raw = [rng.gauss(0.0, 1.0) for _ in range(size)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 9) for v in raw]


def embed_one(request: dict[str, Any], model: dict[str, Any], where: str = "EmbedContentRequest") -> dict[str, Any]:
    """``{"values": [...]}`` for one camelized EmbedContentRequest."""
    native = embedding_dimensions(model)
    size = request.get("outputDimensionality") or native
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= native:
        raise ApiError(400, f"* {where}.output_dimensionality: must be between 1 and {native}\n")
    text = _text(request.get("content"), where)
    return {"values": vector(model["name"], text, str(request.get("taskType", "")), size)}


def embed_batch(body: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    requests = body.get("requests")
    if not requests or not isinstance(requests, list):
        raise ApiError(400, "* BatchEmbedContentsRequest.requests: requests is not specified\n")
    embeddings = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict):
            raise ApiError(400, f"* BatchEmbedContentsRequest.requests[{i}]: must be an EmbedContentRequest\n")
        named = request.get("model")
        if named is not None and resource_name(str(named)) != model["name"]:
            raise ApiError(
                400,
                f"Model used by EmbedContentRequest ({resource_name(str(named))}) and "
                f"BatchEmbedContentsRequest ({model['name']}) must be the same.",
            )
        embeddings.append(embed_one(request, model, f"BatchEmbedContentsRequest.requests[{i}]"))
    return {"embeddings": embeddings}
