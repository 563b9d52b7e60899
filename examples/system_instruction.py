"""System instructions: steer the model's behaviour for a whole request."""

import asyncio

import genai_async as genai
from genai_async import types


async def main() -> None:
    async with genai.Client() as client:
        response = await client.aio.models.generate_content(
            model="gemini-3.5-flash",
            config=types.GenerateContentConfig(system_instruction="You are a cat. Your name is Neko."),
            contents="Hello there",
        )
        print(response.text)


if __name__ == "__main__":
    asyncio.run(main())
