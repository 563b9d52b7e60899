"""Bulk generation: many prompts through the online API, each result saved as it arrives (resumable)."""

import asyncio
import json
import pathlib
import tempfile

import genai_async.bulk


async def main() -> None:
    folder = pathlib.Path(tempfile.mkdtemp())
    prompts = folder / "prompts.jsonl"
    # one request per line; "key" is optional (the line number otherwise)
    prompts.write_text(
        "".join(json.dumps({"key": f"p{i}", "prompt": f"Name a fact about the number {i}."}) + "\n" for i in range(20))
    )
    results = folder / "results.jsonl"
    # run it twice: the second run finds every key in results.jsonl and sends nothing
    for _ in range(2):
        summary = await genai_async.bulk.run(prompts, output=results, model="gemini-3.5-flash", concurrency=8)
        print(summary.text())

    # or iterate over results in a notebook, nothing written
    async for result in genai_async.bulk.iterate(["Hi!", "Bye!"], model="gemini-3.5-flash"):
        print(result.key, (result.response.text or "")[:60] if result.response else result.error)


if __name__ == "__main__":
    asyncio.run(main())
