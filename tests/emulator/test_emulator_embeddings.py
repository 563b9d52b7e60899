"""embedContent and batchEmbedContents: deterministic unit vectors, dimensions, model checks."""

from __future__ import annotations

import math

from .emulator_helpers import Api, user

EMBED = "/v1beta/models/gemini-embedding-001:embedContent"
BATCH = "/v1beta/models/gemini-embedding-001:batchEmbedContents"


def norm(values: list[float]) -> float:
    return math.sqrt(sum(v * v for v in values))


async def test_embed_content_is_deterministic_unit_norm_3072(api: Api) -> None:
    first = await api.post(EMBED, {"content": user("What is the meaning of life?")})
    second = await api.post(EMBED, {"content": user("What is the meaning of life?")})
    assert first.status == 200 and first.body == second.body
    values = first.json()["embedding"]["values"]
    assert len(values) == 3072
    assert abs(norm(values) - 1.0) < 1e-6
    other = (await api.post(EMBED, {"content": user("How do planes fly?")})).json()["embedding"]["values"]
    assert other != values


async def test_output_dimensionality_task_type_and_title(api: Api) -> None:
    body = {"content": user("doc"), "taskType": "RETRIEVAL_DOCUMENT", "title": "A title", "outputDimensionality": 8}
    values = (await api.post(EMBED, body)).json()["embedding"]["values"]
    assert len(values) == 8 and abs(norm(values) - 1.0) < 1e-6
    snake = {"content": user("doc"), "task_type": "RETRIEVAL_DOCUMENT", "output_dimensionality": 8}
    assert (await api.post(EMBED, snake)).json()["embedding"]["values"] == values
    query = (await api.post(EMBED, {**body, "taskType": "RETRIEVAL_QUERY"})).json()["embedding"]["values"]
    assert query != values
    assert (await api.post(EMBED, {**body, "outputDimensionality": 5000})).status == 400
    legacy = await api.post("/v1beta/models/text-embedding-004:embedContent", {"content": user("x")})
    assert len(legacy.json()["embedding"]["values"]) == 768


async def test_batch_matches_single_requests_in_order(api: Api) -> None:
    texts = ["first text", "second text", "third text"]
    requests = [{"model": "models/gemini-embedding-001", "content": user(t), "outputDimensionality": 16} for t in texts]
    batch = await api.post(BATCH, {"requests": requests})
    assert batch.status == 200
    vectors = [e["values"] for e in batch.json()["embeddings"]]
    singles = [(await api.post(EMBED, r)).json()["embedding"]["values"] for r in requests]
    assert vectors == singles


async def test_batch_model_must_match_url(api: Api) -> None:
    requests = [{"model": "models/text-embedding-004", "content": user("x")}]
    result = await api.post(BATCH, {"requests": requests})
    assert result.status == 400 and "must be the same" in result.json()["error"]["message"]


async def test_generative_model_rejects_embedding(api: Api) -> None:
    result = await api.post("/v1beta/models/gemini-3.5-flash:embedContent", {"content": user("x")})
    assert result.status == 400
    assert (await api.post(EMBED, {"content": {"parts": []}})).status == 400
