"""genai_async: an asyncio-first client for Google's Gemini API.

    import genai_async as genai
    from genai_async import types

    async with genai.Client() as client:
        response = await client.models.generate_content(model="gemini-3.5-flash", contents="Hi")
        print(response.text)
"""

from typing import TYPE_CHECKING

from . import errors, types
from ._client import Client
from ._otel import instrument
from ._streaming import ResponseStream
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

if TYPE_CHECKING:  # at run time Chat loads lazily, through __getattr__ below
    from ._resources.chats import Chat as Chat
del TYPE_CHECKING


def __getattr__(name: str) -> object:  # PEP 562: Chat loads with the chats module, on first use
    if name == "Chat":
        from ._resources.chats import Chat

        return Chat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "Chat"})


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

for _name in ("Client", "ResponseStream", "instrument"):
    globals()[_name].__module__ = "genai_async"
del _name
