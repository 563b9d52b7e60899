"""The live progress line on stderr: requests done out of the total, running throughput, errors, ETA.

Shared by the bench (``genai-async bench``) and the bulk runner (``genai-async run``,
:mod:`genai_async.bulk`); standard library only. Workers send :class:`Progress` snapshots (running totals, so a lost or
repeated one does no harm); :class:`ProgressBar` keeps the latest per worker, adds them up and
redraws one line at most ten times a second. Drawn only on a terminal or with ``--progress``.
The ETA is the remaining requests at the rate so far (or the rest of ``--duration``, plus nothing for
requests still finishing after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

_WIDTH = 24
_REDRAW = 0.1


@dataclass
class Progress:
    """A worker's running totals, sent to whoever draws the progress bar."""

    worker: int
    done: int = 0
    errors: int = 0
    output_tokens: int = 0
    warming: bool = True
    finished: bool = False


class ProgressBar:
    """One redrawn stderr line for a run of ``total`` requests or ``duration`` seconds."""

    def __init__(
        self,
        stream: TextIO,
        *,
        label: str,
        total: int | None,
        duration: float | None,
        enabled: bool,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.duration = duration
        self.enabled = enabled
        self.clock = clock
        self.latest: dict[int, Progress] = {}
        self.started: float | None = None
        self.drawn = 0.0
        self.shown = False

    def update(self, progress: Progress) -> None:
        self.latest[progress.worker] = progress
        if not self.enabled:
            return
        now = self.clock()
        if self.started is None and not any(p.warming for p in self.latest.values()):
            self.started = now
        if now - self.drawn >= _REDRAW or progress.finished:
            self.drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        done = sum(p.done for p in self.latest.values())
        errors = sum(p.errors for p in self.latest.values())
        tokens = sum(p.output_tokens for p in self.latest.values())
        if self.started is None:
            line = f"{self.label}: warming up"
        else:
            elapsed = max(now - self.started, 1e-9)
            count = f"{done}/{self.total}" if self.total else f"{done}"
            line = (
                f"{self.label}: {self._bar(done, elapsed)} {count} done  {done / elapsed:7.2f} req/s  "
                f"{tokens / elapsed:9.1f} tok/s  errors {errors}  elapsed {_clock(elapsed)}  "
                f"ETA {self._eta(done, elapsed)}"
            )
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def _eta(self, done: int, elapsed: float) -> str:
        if self.total:
            if done >= self.total:
                return _clock(0)
            return _clock((self.total - done) * elapsed / done) if done else "?"
        if self.duration:
            return _clock(max(0.0, self.duration - elapsed))
        return "?"

    def _bar(self, done: int, elapsed: float) -> str:
        if self.total:
            share = done / self.total
        elif self.duration:
            share = elapsed / self.duration
        else:
            return ""
        filled = int(min(1.0, share) * _WIDTH)
        return "[" + "#" * filled + "." * (_WIDTH - filled) + "]"

    def close(self) -> None:
        if self.shown:
            self._draw(self.drawn)  # as of the last update: the run's rates, not diluted by the wait since
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
