"""A bulk run into an output file: resume, write each result as one line, progress and the summary.

Output line (JSONL, one per input key, in completion order):
``{"key": K, "response": GenerateContentResponse, "usage": UsageMetadata, "latency_ms": 812.4}`` or
``{"key": K, "error": {"type": "ClientError", "code": 400, "status": "INVALID_ARGUMENT",
"message": "..."}, "latency_ms": ...}``. ``_journal.py`` explains why a ``kill -9`` at any moment
loses nothing and repeats nothing.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from .._progress import Progress, ProgressBar
from ..errors import APIError, GenAIError
from ..types import GenerateContentResponse, UsageMetadata
from ._engine import BulkResult, Tally, execute
from ._input import Item
from ._journal import Resume, Writer, scan
from ._rate import Adaptive

if TYPE_CHECKING:
    from .._client import Client


class _Out(msgspec.Struct, omit_defaults=True):
    key: Any
    response: GenerateContentResponse | None = None
    error: dict[str, Any] | None = None
    usage: UsageMetadata | None = None
    latency_ms: float | None = None


_ENCODE = msgspec.json.Encoder()


def error_json(error: GenAIError) -> dict[str, Any]:
    """A typed error as plain JSON: its class, and for API errors the code, status and message."""
    out: dict[str, Any] = {"type": type(error).__name__}
    code = error.code if isinstance(error, APIError) else getattr(error, "code", None)
    if code is not None:  # API errors (HTTP codes) and Batch API item errors (gRPC codes)
        out.update(code=code, status=getattr(error, "status", None), message=getattr(error, "message", str(error)))
    else:
        out["message"] = str(error)
    return out


def encode_result(result: BulkResult) -> bytes:
    """One output line, ``\\n`` included."""
    latency = round(result.latency * 1000, 3)
    if result.error is not None:
        out = _Out(result.key, error=error_json(result.error), latency_ms=latency if result.attempts else None)
    else:
        response = result.response
        if response is not None and response.parsed is not None:
            response = msgspec.structs.replace(response, parsed=None)
        usage = response.usage_metadata if response is not None else None
        out = _Out(result.key, response=response, usage=usage, latency_ms=latency)
    return _ENCODE.encode(out) + b"\n"


@dataclass
class RunSummary:
    """What a bulk run did; ``failed_total`` includes failures already in the file before a resume."""

    output: str
    done: int = 0
    failed: int = 0
    skipped: int = 0
    failed_before: int = 0
    torn_line: bool = False
    prompt_tokens: int = 0
    output_tokens: int = 0
    elapsed: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    final_concurrency: int = 0
    lowest_concurrency: int = 0
    batch_job: str | None = None

    @property
    def failed_total(self) -> int:
        return self.failed + self.failed_before

    @property
    def rate(self) -> float:
        """Requests finished per second in this run."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def cost(self, price_input: float | None, price_output: float | None) -> float | None:
        """Estimated cost for prices per million tokens (None without prices)."""
        if price_input is None and price_output is None:
            return None
        return (self.prompt_tokens * (price_input or 0.0) + self.output_tokens * (price_output or 0.0)) / 1e6

    def text(self, price_input: float | None = None, price_output: float | None = None) -> str:
        lines = [
            f"{self.done} requests in {self.elapsed:.1f}s ({self.rate:.1f} req/s): {self.done - self.failed} ok, "
            f"{self.failed} failed; {self.skipped} already in {self.output}"
            + (f" ({self.failed_before} of them failed)" if self.failed_before else "")
        ]
        if self.torn_line:
            lines.append("a torn last line (an interrupted run) was cut off the output and its key redone")
        for kind, count in sorted(self.errors.items(), key=lambda kv: -kv[1]):
            lines.append(f"  error {kind}: {count}")
        lines.append(f"tokens: prompt {self.prompt_tokens:,}, output {self.output_tokens:,}")
        cost = self.cost(price_input, price_output)
        if cost is not None:
            lines.append(f"estimated cost: ${cost:,.4f}")
        if self.throttled:
            lines.append(
                f"throttled (429) {self.throttled} times; concurrency went down to "
                f"{self.lowest_concurrency} and ended at {self.final_concurrency}"
            )
        if self.batch_job:
            lines.append(f"batch job: {self.batch_job}")
        return "\n".join(lines)


class RunProgress:
    """The bench's progress line (done, rate, tokens, errors) plus the ETA, fed by each result."""

    def __init__(self, stream: TextIO, total: int | None, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = _EtaBar(stream, label="run", total=total, duration=None, enabled=enabled)

    def update(self, tally: Tally, finished: bool = False) -> None:
        if self.enabled:
            self.bar.update(
                Progress(0, tally.done, tally.failed, tally.output_tokens, warming=False, finished=finished)
            )

    def close(self) -> None:
        self.bar.close()


class _EtaBar(ProgressBar):
    def _draw(self, now: float) -> None:
        done = sum(p.done for p in self.latest.values())
        if self.started is None or not self.total or not done:
            return super()._draw(now)
        elapsed = max(now - self.started, 1e-9)
        eta = (self.total - done) / (done / elapsed)
        label, self.label = self.label, f"{self.label} eta {eta:6.0f}s"
        try:
            super()._draw(now)
        finally:
            self.label = label


async def run_to_file(
    items: Iterable[Item] | AsyncIterable[Item],
    output: str | os.PathLike[str],
    *,
    client: Client,
    model: str,
    concurrency: int,
    total: int | None = None,
    progress: bool = False,
    stream: TextIO | None = None,
    retry_failed: bool = False,
) -> RunSummary:
    """Run ``items`` (skipping keys already in ``output``) and append every result to ``output``;
    with ``retry_failed`` the keys whose line holds an error are dropped from ``output`` and run again."""
    path = os.fspath(output)
    resume = scan(path, retry_failed)
    summary = RunSummary(path, failed_before=resume.failed, torn_line=resume.torn)
    tally = Tally()
    gate = Adaptive(concurrency)
    bar = RunProgress(stream or sys.stderr, None if total is None else max(0, total - resume.lines), progress)
    writer = Writer(path)
    add = writer.add
    update = bar.update if progress else None

    def on_result(result: BulkResult) -> None:
        add(encode_result(result))
        if update is not None:
            update(tally)

    start = time.perf_counter()
    try:
        await execute(
            items, on_result, client=client, model=model, concurrency=concurrency, skip=resume, tally=tally, gate=gate
        )
    finally:
        writer.close()
        bar.update(tally, finished=True)
        bar.close()
        _fill(summary, tally, resume, gate, time.perf_counter() - start)
    return summary


def _fill(summary: RunSummary, tally: Tally, resume: Resume, gate: Adaptive, elapsed: float) -> None:
    summary.done, summary.failed, summary.skipped = tally.done, tally.failed, tally.skipped
    summary.prompt_tokens, summary.output_tokens = tally.prompt_tokens, tally.output_tokens
    summary.errors, summary.elapsed = dict(tally.errors), elapsed
    summary.throttled, summary.final_concurrency = gate.throttled, int(gate.limit)
    summary.lowest_concurrency = gate.lowest
