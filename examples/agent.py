"""An async agent with three tools: one async, one sync (runs in a worker thread) and one that raises.

A raising tool does not fail the answer: the model gets ``{"error": "..."}`` and carries on. The chat
keeps every round (the model's calls and the tool results) in its history, so follow-up questions
can refer to them. Reads GEMINI_API_KEY (or GENAI_ASYNC_BASE_URL for the emulator).
"""

import asyncio
import time
from typing import Literal

import genai_async as genai
from genai_async import types

INVENTORY = {"apples": 12, "pears": 0}


async def check_stock(item: Literal["apples", "pears"]) -> int:
    """Return how many of an item are in stock."""
    await asyncio.sleep(0)  # a database or HTTP call would go here
    return INVENTORY.get(item, 0)


def quote_price(item: Literal["apples", "pears"], quantity: int) -> float:
    """Quote the total price for a quantity of an item (blocking code is fine: it runs in a thread)."""
    time.sleep(0.01)
    return round(0.45 * quantity, 2)


def place_order(item: Literal["apples", "pears"], quantity: int) -> str:
    """Place an order for an item."""
    raise RuntimeError(f"ordering is closed today; cannot order {quantity} {item}")


async def main() -> None:
    async with genai.Client() as client:
        chat = client.chats.create(
            model="gemini-3.5-flash",
            config=types.GenerateContentConfig(
                tools=[check_stock, quote_price, place_order],
                automatic_function_calling=types.AutomaticFunctionCallingConfig(call_timeout=10),
            ),
        )
        prompt = "Call check_stock for apples, then quote_price for 6 apples, then place_order for 6 apples."
        async for chunk in await chat.send_message_stream(prompt):
            for call in chunk.function_calls or []:
                print(f"[model calls {call.name}({call.args})]")
            if chunk.text:
                print(chunk.text, end="", flush=True)
        print()
        for turn in chat.get_history():
            for part in turn.parts or []:
                if part.function_response:
                    print(f"{part.function_response.name} -> {part.function_response.response}")


if __name__ == "__main__":
    asyncio.run(main())
