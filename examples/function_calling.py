"""Function calling: pass Python functions as tools and the client calls them for the model.

The model answers with function calls; the client runs them (several calls of one answer run
concurrently), sends the results back and returns the model's final answer. The rounds it took are
on ``response.automatic_function_calling_history``. Reads GEMINI_API_KEY (or GENAI_ASYNC_BASE_URL
for the emulator: ``genai-async emulator``).
"""

import asyncio
from typing import Literal

import genai_async as genai
from genai_async import types


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, object]:
    """Get the current weather in a city.

    Args:
      city: The city name, e.g. "Zurich".
      unit: "celsius" or "fahrenheit".
    """
    return {"city": city, "temperature": 21, "unit": unit, "sky": "clear"}


async def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is 10:42 in {city}."


async def main() -> None:
    async with genai.Client() as client:
        config = types.GenerateContentConfig(
            tools=[get_weather, get_time],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(maximum_remote_calls=5),
        )
        response = await client.models.generate_content(
            model="gemini-3.5-flash", contents="Call get_weather and get_time for Zurich.", config=config
        )
        print(response.text)
        for turn in response.automatic_function_calling_history or []:
            for part in turn.parts or []:
                if part.function_call:
                    print(f"called {part.function_call.name}({part.function_call.args})")
                if part.function_response:
                    print(f"  -> {part.function_response.response}")


if __name__ == "__main__":
    asyncio.run(main())
