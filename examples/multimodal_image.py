"""Multimodal input: an image plus a question.

    python examples/multimodal_image.py /path/to/organ.png

Without a path a tiny built-in PNG is sent. A pathlib.Path, raw image bytes, a PIL image (with
Pillow installed) or types.Part.from_bytes all work as contents.
"""

import asyncio
import base64
import pathlib
import sys

import genai_async as genai
from genai_async import types

TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def main() -> None:
    if len(sys.argv) > 1:
        image: types.PartUnion | pathlib.Path = pathlib.Path(sys.argv[1])  # read off the event loop, sent inline
        try:
            from PIL import Image  # the seed guide's way, when Pillow is installed

            image = Image.open(sys.argv[1])
        except ImportError:
            pass
    else:
        image = types.Part.from_bytes(data=TINY_PNG, mime_type="image/png")
    async with genai.Client() as client:
        response = await client.aio.models.generate_content(
            model="gemini-3.5-flash", contents=[image, "Tell me about this instrument"]
        )
        print(response.text)


if __name__ == "__main__":
    asyncio.run(main())
