"""Live API, text: a two-turn conversation over one WebSocket session, with a tool call.

Runs offline on the embedded emulator when GEMINI_API_KEY is not set.
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import genai_async as genai
from genai_async import types

MODEL = "gemini-live-2.5-flash-preview"


@contextlib.asynccontextmanager
async def client() -> AsyncIterator[genai.Client]:
    if os.environ.get("GEMINI_API_KEY"):
        async with genai.Client() as real:  # the real API (or GENAI_ASYNC_BASE_URL)
            yield real
        return
    from genai_async.emulator import running

    async with running() as emu, genai.Client(api_key="offline", base_url=emu.base_url) as offline:
        yield offline


async def main() -> None:
    get_time = types.FunctionDeclaration(name="get_time", description="Current UTC time.")
    tools = [types.Tool(function_declarations=[get_time])]
    config = types.LiveConnectConfig(
        response_modalities=["TEXT"],
        tools=tools,
        session_resumption=types.SessionResumptionConfig(),  # survive goAway and dropped connections
    )
    async with client() as c, c.aio.live.connect(model=MODEL, config=config) as session:
        for question in ("What time is it?", "Thanks! Now say it in one short sentence."):
            print(f"> {question}")
            await session.send_client_content(turns=question, turn_complete=True)
            async for message in session.receive():  # the messages of one turn
                if message.tool_call:  # answer function calls; the turn continues afterwards
                    results = [
                        types.FunctionResponse(id=call.id, name=call.name, response={"output": "09:41Z"})
                        for call in message.tool_call.function_calls or []
                    ]
                    await session.send_tool_response(function_responses=results)
                if message.text:
                    print(message.text, end="", flush=True)
            print()


if __name__ == "__main__":
    asyncio.run(main())
