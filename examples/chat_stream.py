"""Streaming chat: each streamed answer is stored in the history as ONE stitched turn."""

import asyncio

import genai_async as genai


async def main() -> None:
    async with genai.Client() as client:
        chat = client.aio.chats.create(model="gemini-3.5-flash")
        for message in ("I have 2 dogs in my house.", "How many paws are in my house?"):
            async for chunk in await chat.send_message_stream(message):
                print(chunk.text or "", end="", flush=True)
            print()
        for turn in chat.get_history():
            print(f"role - {turn.role}", end=": ")
            print(turn.parts[0].text if turn.parts else "")


if __name__ == "__main__":
    asyncio.run(main())
