"""Count tokens before sending, and embed texts for search or clustering."""

import asyncio

import genai_async as genai


async def main() -> None:
    async with genai.Client() as client:
        count = await client.models.count_tokens(model="gemini-3.5-flash", contents="How does AI work?")
        print("prompt tokens:", count.total_tokens)
        result = await client.models.embed_content(
            model="gemini-embedding-001",
            contents=["What is the meaning of life?", "How do I bake a cake?"],
            config={"task_type": "RETRIEVAL_QUERY", "output_dimensionality": 8},
        )
        for embedding in result.embeddings or []:
            print([round(v, 3) for v in embedding.values or []])


if __name__ == "__main__":
    asyncio.run(main())
