"""Live API session classes, for type annotations (the official SDK's ``google.genai.live``).

    from genai_async.live import AsyncSession

    async def talk(session: AsyncSession) -> None: ...

Sessions come from ``client.live.connect(...)``; these classes are not built directly.
"""

from ._resources.live import AsyncSession, Live, LiveConnect, Turn

__all__ = ["AsyncSession", "Live", "LiveConnect", "Turn"]

for _name in __all__:
    globals()[_name].__module__ = "genai_async.live"
del _name
