"""Text generation: one prompt, one answer (the seed guide's first example, async).

Run against the real API with GEMINI_API_KEY set, or against the local emulator:
    genai-async emulator --port 8765 &
    GEMINI_API_KEY=any GENAI_ASYNC_BASE_URL=http://127.0.0.1:8765 python examples/generate.py
"""

import asyncio

import genai_async as genai


async def main() -> None:
    # The client reads GEMINI_API_KEY (or GOOGLE_API_KEY) and GENAI_ASYNC_BASE_URL from the environment.
    async with genai.Client() as client:
        response = await client.aio.models.generate_content(model="gemini-3.5-flash", contents="How does AI work?")
        print(response.text)


if __name__ == "__main__":
    asyncio.run(main())
