"""genai_async: an asyncio-first client for Google's Gemini API.

    import genai_async as genai
    from genai_async import types

    async with genai.Client() as client:
        response = await client.models.generate_content(model="gemini-3.5-flash", contents="Hi")
        print(response.text)
"""

from . import errors, types
from ._client import Client
from ._resources.chats import Chat
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
    "types",
]

for _name in ("Chat", "Client", "ResponseStream"):
    globals()[_name].__module__ = "genai_async"
del _name
