"""Streaming: print the answer as it is generated, then use the stitched final response."""

import asyncio

import genai_async as genai


async def main() -> None:
    async with genai.Client() as client:
        # The official SDK's shape: await the call, then iterate.
        async for chunk in await client.aio.models.generate_content_stream(
            model="gemini-3.5-flash", contents=["Explain how AI works"]
        ):
            print(chunk.text or "", end="", flush=True)
        print()

        # Or `async with`, which also gives the stitched response afterwards.
        async with client.models.generate_content_stream(model="gemini-3.5-flash", contents="Hi") as stream:
            async for chunk in stream:
                print(chunk.text or "", end="", flush=True)
        print("\ntokens:", stream.response.usage_metadata)


if __name__ == "__main__":
    asyncio.run(main())
