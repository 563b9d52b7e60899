"""Generation settings: max_output_tokens, stop_sequences and JSON output (response_mime_type)."""

import asyncio

import genai_async as genai
from genai_async import types


async def main() -> None:
    async with genai.Client() as client:
        # Plain text, capped length, stopping before the word "Title".
        response = await client.aio.models.generate_content(
            model="gemini-3.5-flash",
            contents=["Explain how AI works"],
            config=types.GenerateContentConfig(max_output_tokens=1000, stop_sequences=["Title"]),
        )
        print(response.text)

        # JSON output; `parsed` holds the decoded value.
        response = await client.aio.models.generate_content(
            model="gemini-3.5-flash",
            contents="What is the average size of a swallow?",
            config={"max_output_tokens": 1000, "response_mime_type": "application/json"},  # dicts work too
        )
        print(response.parsed)


if __name__ == "__main__":
    asyncio.run(main())
