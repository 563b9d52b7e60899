"""The emulator's model catalogue: Model resources as ``GET models`` returns them (gemini-rest.md §8).

The first five entries are exactly ``tests/fixtures/models_list_page*.json`` so ``pageSize=3``
reproduces the recorded first page; aliases and older names follow.
"""

from __future__ import annotations

import copy
from typing import Any

_GENERATE_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBED_METHODS = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]


def _generative(
    model_id: str, version: str, display: str, description: str, *, thinking: bool = True
) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": f"models/{model_id}",
        "version": version,
        "displayName": display,
        "description": description,
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536 if thinking else 8192,
        "supportedGenerationMethods": list(_GENERATE_METHODS),
        "temperature": 1,
        "topP": 0.95,
        "topK": 64 if thinking else 40,
        "maxTemperature": 2,
    }
    if thinking:
        model["thinking"] = True
    return model


def _embedding(model_id: str, display: str, input_limit: int) -> dict[str, Any]:
    return {
        "name": f"models/{model_id}",
        "version": "001" if model_id != "text-embedding-004" else "004",
        "displayName": display,
        "description": "Obtain a distributed representation of a text.",
        "inputTokenLimit": input_limit,
        "outputTokenLimit": 1,
        "supportedGenerationMethods": list(_EMBED_METHODS),
    }


DEFAULT_MODELS: tuple[dict[str, Any], ...] = (
    _generative("gemini-2.5-flash", "001", "Gemini 2.5 Flash", "Stable version of Gemini 2.5 Flash."),
    _generative(
        "gemini-3-flash-preview", "3-flash-preview-12-2025", "Gemini 3 Flash Preview", "Gemini 3 Flash Preview"
    ),
    _generative("gemini-3.5-flash", "3.5-flash-05-2026", "Gemini 3.5 Flash", "Gemini 3.5 Flash"),
    _generative(
        "gemini-3.1-pro-preview", "3.1-pro-preview-01-2026", "Gemini 3.1 Pro Preview", "Gemini 3.1 Pro Preview"
    ),
    _embedding("gemini-embedding-001", "Gemini Embedding 001", 2048),
    _generative("gemini-flash-latest", "3.5-flash-05-2026", "Gemini Flash Latest", "Latest release of Gemini Flash"),
    _generative("gemini-flash-lite-latest", "3.1-flash-lite", "Gemini Flash-Lite Latest", "Latest Flash-Lite"),
    _generative("gemini-pro-latest", "3.1-pro-preview-01-2026", "Gemini Pro Latest", "Latest release of Gemini Pro"),
    _generative("gemini-2.5-pro", "2.5", "Gemini 2.5 Pro", "Stable release of Gemini 2.5 Pro"),
    _generative("gemini-2.5-flash-lite", "001", "Gemini 2.5 Flash-Lite", "Stable version of Gemini 2.5 Flash-Lite"),
    _generative("gemini-2.0-flash", "2.0", "Gemini 2.0 Flash", "Gemini 2.0 Flash", thinking=False),
    _generative("gemini-2.0-flash-001", "2.0", "Gemini 2.0 Flash 001", "Gemini 2.0 Flash 001", thinking=False),
    _embedding("text-embedding-004", "Text Embedding 004", 2048),
)

# Native vector sizes; the service's default for gemini-embedding-001 is 3072.
EMBEDDING_DIMENSIONS: dict[str, int] = {"models/text-embedding-004": 768}
DEFAULT_EMBEDDING_DIMENSIONS = 3072


def default_models() -> list[dict[str, Any]]:
    """A fresh, mutable copy of the default catalogue."""
    return copy.deepcopy(list(DEFAULT_MODELS))


def resource_name(model: str) -> str:
    """``gemini-3.5-flash`` or ``models/gemini-3.5-flash`` -> ``models/gemini-3.5-flash``."""
    return model if "/" in model else f"models/{model}"


def find_model(models: list[dict[str, Any]], model: str) -> dict[str, Any] | None:
    name = resource_name(model)
    return next((m for m in models if m.get("name") == name), None)


def is_embedding(model: dict[str, Any]) -> bool:
    return "embedContent" in model.get("supportedGenerationMethods", [])


def embedding_dimensions(model: dict[str, Any]) -> int:
    return EMBEDDING_DIMENSIONS.get(model["name"], DEFAULT_EMBEDDING_DIMENSIONS)


def min_cache_tokens(model: str) -> int:
    """The smallest cache the model accepts, in tokens (docs: 1,024 for Flash models, 4,096 for Pro)."""
    return 4096 if "pro" in model else 1024
