"""Live API with Python functions as tools: the session runs them when the model calls them.

The same functions as for generate_content: declared from their signatures and docstrings, called
concurrently (the sync one in a worker thread), answered with one toolResponse. The loop only shows
the calls; it never answers them. Runs offline on the embedded emulator when GEMINI_API_KEY is not set.
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import genai_async as genai
from genai_async import types

MODEL = "gemini-live-2.5-flash-preview"


def get_weather(city: str) -> dict[str, object]:
    """Get the current weather in a city."""
    return {"city": city, "temperature": 21, "sky": "clear"}


async def get_time(city: str) -> str:
    """Get the local time in a city."""
    await asyncio.sleep(0)  # e.g. an HTTP call
    return f"10:42 in {city}"


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
    config = types.LiveConnectConfig(
        response_modalities=["TEXT"],
        tools=[get_weather, get_time],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(call_timeout=10.0),
    )
    async with client() as c, c.live.connect(model=MODEL, config=config) as session:
        question = "Call get_weather and get_time for Zurich"
        print(f"> {question}")
        await session.send_client_content(turns=question, turn_complete=True)
        async for message in session.receive():  # one turn: the calls, then the answer
            if message.tool_call:
                names = ", ".join(f"{call.name}({call.args})" for call in message.tool_call.function_calls or [])
                print(f"[the session runs {names}]")
            if message.text:
                print(message.text, end="", flush=True)
        print()


if __name__ == "__main__":
    asyncio.run(main())
