"""genai_async: an asyncio-first client for Google's Gemini API.

import genai_async as genai
from genai_async import types

async with genai.Client() as client:
    response = await client.models.generate_content(model="gemini-3.5-flash", contents="Hi")
    print(response.text)
"""

from typing import TYPE_CHECKING

from . import errors, types
from ._version import __version__
from .errors import (
    APIError,
    ClientError,
    ConfigurationError,
    GenAIError,
    ServerError,
    StreamError,
    TransportError,
)

if TYPE_CHECKING:  # at run time these load lazily, through __getattr__ below
    from ._client import Client as Client
    from ._otel import instrument as instrument
    from ._resources.chats import Chat as Chat
    from ._streaming import ResponseStream as ResponseStream
del TYPE_CHECKING

# Names whose modules import aiohttp: loaded on first use (PEP 562), so `import genai_async` (and the
# pytest plugin every test run loads through it) costs neither aiohttp nor the client.
_LAZY = {"Chat": "._resources.chats", "Client": "._client", "ResponseStream": "._streaming", "instrument": "._otel"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    if name != "Chat":
        value.__module__ = "genai_async"
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "APIError",
    "Chat",
    "Client",
    "ClientError",
    "ConfigurationError",
    "GenAIError",
    "ResponseStream",
    "ServerError",
    "StreamError",
    "TransportError",
    "__version__",
    "errors",
    "instrument",
    "types",
]
