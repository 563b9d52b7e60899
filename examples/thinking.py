"""Thinking: choose how hard the model reasons before answering (thinking_level), see its summaries."""

import asyncio

import genai_async as genai
from genai_async import types


async def main() -> None:
    async with genai.Client() as client:
        response = await client.aio.models.generate_content(
            model="gemini-3.5-flash",
            contents="How does AI work?",
            config=types.GenerateContentConfig(
                # "low" keeps latency and cost down; include_thoughts returns thought summaries too.
                thinking_config=types.ThinkingConfig(thinking_level="low", include_thoughts=True)
            ),
        )
        print("thoughts:", response.thoughts)
        print("answer:", response.text)
        # Thinking tokens are billed even when thoughts are not returned.
        print("thought tokens:", response.usage_metadata.thoughts_token_count if response.usage_metadata else None)


if __name__ == "__main__":
    asyncio.run(main())
