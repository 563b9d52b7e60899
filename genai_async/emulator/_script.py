"""The scripting queue: errors, exact responses and faults for the next matching requests.

Entries are consumed first-in first-out. An entry with ``endpoint=None`` matches any request; one
with a name matches only that endpoint (see :data:`ENDPOINTS`). ``times`` lets one entry answer
several requests in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENDPOINTS = frozenset(
    {
        "generateContent",
        "streamGenerateContent",
        "countTokens",
        "embedContent",
        "batchEmbedContents",
        "models.list",
        "models.get",
        "upload",
        "upload.chunk",
        "files.get",
        "files.list",
        "files.delete",
        "files.download",
        "cachedContents.create",
        "cachedContents.list",
        "cachedContents.get",
        "cachedContents.patch",
        "cachedContents.delete",
        "batchGenerateContent",
        "asyncBatchEmbedContent",
        "batches.list",
        "batches.get",
        "batches.cancel",
        "batches.delete",
    }
)
FAULT_KINDS = frozenset(
    {
        "reset_before_headers",
        "drop_mid_event",
        "eof_mid_event",
        "hang_after_headers",
        "hang_after_events",
        "inband_error",
        "raw_json_error",
        "slow_drip",
        "invalid_json_event",
        "oversized_event",
        "no_finish_reason",
    }
)
FILE_STATES = frozenset({"ACTIVE", "FAILED", "PROCESSING"})


@dataclass
class Fault:
    """A transport or protocol misbehaviour applied to one response (see ``Emulator.queue_fault``)."""

    kind: str
    after_events: int = 0
    opts: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScriptedError:
    status: int
    message: str | None = None
    status_name: str | None = None
    details: list[dict[str, Any]] | None = None
    retry_delay: float | None = None
    headers: dict[str, str] | None = None
    body: bytes | None = None
    content_type: str | None = None


@dataclass
class ScriptedResponse:
    body: Any
    status: int = 200
    headers: dict[str, str] | None = None


@dataclass
class _Entry:
    action: ScriptedError | ScriptedResponse | Fault
    endpoint: str | None
    times: int


def check_endpoint(endpoint: str | None) -> None:
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS)}")


class Script:
    """FIFO of scripted actions plus the states the next uploads should end in."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self.file_states: list[str] = []

    def add(self, action: ScriptedError | ScriptedResponse | Fault, endpoint: str | None, times: int = 1) -> None:
        check_endpoint(endpoint)
        if times < 1:
            raise ValueError("times must be at least 1")
        self._entries.append(_Entry(action, endpoint, times))

    def take(self, endpoint: str) -> ScriptedError | ScriptedResponse | Fault | None:
        for entry in self._entries:
            if entry.endpoint is None or entry.endpoint == endpoint:
                entry.times -= 1
                if entry.times == 0:
                    self._entries.remove(entry)
                return entry.action
        return None

    def clear(self) -> None:
        self._entries.clear()
        self.file_states.clear()
