"""Multi-turn chat: the chat keeps the history and sends it with each message."""

import asyncio

import genai_async as genai


async def main() -> None:
    async with genai.Client() as client:
        chat = client.aio.chats.create(model="gemini-3.5-flash")
        response = await chat.send_message("I have 2 dogs in my house.")
        print(response.text)
        response = await chat.send_message("How many paws are in my house?")
        print(response.text)
        for message in chat.get_history():
            print(f"role - {message.role}", end=": ")
            print(message.parts[0].text if message.parts else "")


if __name__ == "__main__":
    asyncio.run(main())
