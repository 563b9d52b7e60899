"""One HTTP request, as the client's send loop sends it (``Client._send`` / ``Client._attempt``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from ._options import Settings


class Request(msgspec.Struct, frozen=True):
    """Everything one request needs, written once: every attempt (the first, a retry, a stream's
    restart) sends this same object. Frozen, so no attempt can change what the next one sends; a
    msgspec Struct, so it is slotted and built in C (it is made once per unary call).

    ``path`` is under the base URL, or a whole URL (resumable uploads). ``endpoint`` names the
    request in errors and logs. ``body`` is bytes, or an async iterable (an upload chunk).
    ``stream``: the body is read piece by piece (no total deadline)."""

    method: str
    path: str
    endpoint: str
    settings: Settings
    body: Any = None
    headers: dict[str, str] | None = None
    params: dict[str, str] | None = None
    stream: bool = False
