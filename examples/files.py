"""Files: upload once (resumable, streamed from disk), wait until ACTIVE, then use it in prompts."""

import asyncio
import pathlib
import sys
import tempfile

import genai_async as genai


async def main() -> None:
    if len(sys.argv) > 1:
        path = pathlib.Path(sys.argv[1])
    else:
        path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
        path.write_text("Meeting notes: ship the async client on Friday.\n")
    async with genai.Client() as client:
        uploaded = await client.files.upload(file=path, config={"display_name": path.name})
        uploaded = await client.files.wait_until_active(name_or_file=uploaded, timeout=120)
        response = await client.models.generate_content(
            model="gemini-3.5-flash", contents=[uploaded, "Summarise this file in one sentence."]
        )
        print(response.text)
        async for f in await client.files.list():
            print("stored:", f.name, f.mime_type, f.size_bytes)
        await client.files.delete(name=uploaded.name or "")


if __name__ == "__main__":
    asyncio.run(main())
