"""Automatic function calling's own bookkeeping per round, next to one unary request's client CPU.

What is measured (``time.process_time``, this process only, median of ``--repeats`` runs):

- ``unary``: one ``client.models.generate_content`` call against the fake server
  (``_fakeserver.py``, its own process, pinned away), 8 concurrent workers: the client's CPU per
  request (request building, HTTP, decode). The fake server's CPU is not in it.
- ``afc prepare``: once per call: the tools resolved into declarations (each function's declaration
  comes from a cache) and the toolbox; two callables.
- ``afc round``: everything AFC adds per round, without the request itself and without the tool's own
  body: the check that the answer's calls are ours, converting the arguments, running one async tool
  (a trivial coroutine) and building its ``functionResponse``, the model turn kept for replay, the
  next request's contents and the history list.
- ``afc round, sync tool``: the same with a sync tool: adds the hop to a worker thread and back, which
  is the price of not blocking the event loop (mostly the OS waking two threads).
- ``afc round, 3 parallel``: three async tools in one answer (run as tasks of one task group).

    python benchmarks/bench_afc.py                 # about 20 s
    python benchmarks/bench_afc.py --rounds 5000 --repeats 7

The target (issue 17): one round's bookkeeping under 5 % of the unary per-request CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import msgspec  # noqa: E402

from genai_async import _afc, types  # noqa: E402
from genai_async._coerce import generate_request  # noqa: E402
from genai_async._resources._history import model_turn  # noqa: E402


def get_weather(city: str, unit: str = "celsius") -> dict[str, Any]:
    """Get the weather in a city."""
    return {"city": city, "temperature": 21, "unit": unit}


async def get_weather_async(city: str, unit: str = "celsius") -> dict[str, Any]:
    """Get the weather in a city."""
    return {"city": city, "temperature": 21, "unit": unit}


ANSWER = msgspec.json.encode(
    {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {
                            "functionCall": {"name": "NAME", "args": {"city": "Zurich", "unit": "celsius"}},
                            "thoughtSignature": "AAECAwQ=",
                        },
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
    }
)


PROMPT = "What is the weather in Zurich?"


def _answer(name: str, calls: int) -> types.GenerateContentResponse:
    response = msgspec.json.decode(ANSWER.replace(b"NAME", name.encode()), type=types.GenerateContentResponse)
    parts = response.candidates[0].content.parts  # type: ignore[index,union-attr]
    parts.extend(types.Part(function_call=msgspec.structs.replace(parts[0].function_call)) for _ in range(calls - 1))  # type: ignore[union-attr,arg-type]
    return response


async def _rounds(tool: Any, calls: int, n: int) -> float:
    """CPU seconds per AFC round (bookkeeping only)."""
    cfg = types.GenerateContentConfig(tools=[tool], temperature=0.2)
    response = _answer(tool.__name__, calls)
    wire, box = await _afc.prepare(cfg)
    assert box is not None
    request = generate_request(PROMPT, wire)  # built by every call, with or without tools
    turns = request.contents or []
    start = time.process_time()
    for _ in range(n):
        found = _afc.calls_of(response)
        assert box.handles(found)
        reply = await box.run(found)
        rounds = [model_turn(response), reply]
        msgspec.structs.replace(request, contents=[*turns, *rounds])
        response.automatic_function_calling_history = [*turns, *rounds]
    return (time.process_time() - start) / n


async def _prepare(n: int) -> float:
    """CPU seconds per call for resolving two callables into declarations and a toolbox."""
    cfg = types.GenerateContentConfig(tools=[get_weather, get_weather_async], temperature=0.2)
    start = time.process_time()
    for _ in range(n):
        await _afc.prepare(cfg)
    return (time.process_time() - start) / n


async def _unary(port: int, n: int) -> float:
    import genai_async

    async with genai_async.Client(api_key="bench", base_url=f"http://127.0.0.1:{port}") as client:

        async def worker(k: int) -> None:
            for _ in range(k):
                await client.models.generate_content(model="gemini-3.5-flash", contents=PROMPT)

        await worker(20)  # warm-up
        start = time.process_time()
        await asyncio.gather(*(worker(n // 8) for _ in range(8)))
        return (time.process_time() - start) / (n // 8 * 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cmd = [sys.executable, str(HERE / "_fakeserver.py"), "--cpu", "0"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline().split()[1])
    try:
        unary = statistics.median(asyncio.run(_unary(port, args.requests)) for _ in range(args.repeats))
    finally:
        server.terminate()
        server.wait()
    shapes = {
        "afc round": (get_weather_async, 1),
        "afc round, sync tool": (get_weather, 1),
        "afc round, 3 parallel": (get_weather_async, 3),
    }
    print(f"{'what':28} {'CPU µs':>10} {'% of unary':>11}")
    print(f"{'unary request (client)':28} {unary * 1e6:10.1f} {100.0:10.1f}%")
    asyncio.run(_prepare(200))
    per = statistics.median(asyncio.run(_prepare(args.rounds)) for _ in range(args.repeats))
    print(f"{'afc prepare (per call)':28} {per * 1e6:10.1f} {per / unary * 100:10.1f}%")
    for label, (tool, calls) in shapes.items():
        asyncio.run(_rounds(tool, calls, 200))  # warm-up: caches, thread pool
        per = statistics.median(asyncio.run(_rounds(tool, calls, args.rounds)) for _ in range(args.repeats))
        print(f"{label:28} {per * 1e6:10.1f} {per / unary * 100:10.1f}%")


if __name__ == "__main__":
    main()
