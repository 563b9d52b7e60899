"""The resolved settings of one ``genai-async bench`` run, and how they split over workers.

A run has ``processes`` workers (local processes, or Ray tasks with ``--ray``); each gets an equal
share of the load: concurrency, request count, warm-up requests and the client-side limits are
split in whole parts that add up to the total (the first workers take the remainder), and the
arrival rate is divided evenly. The API key never enters :meth:`BenchConfig.to_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .load import WorkerSpec
from .metrics import PERCENTILES, Slo


@dataclass
class BenchConfig:
    model: str
    prompts: list[str]
    prompt_source: str
    api_key: str
    base_url: str | None = None
    emulator: bool = False
    emulator_ttft: float = 0.2
    emulator_tps: float | None = 100.0
    emulator_chunk_tokens: int = 8
    emulator_max_concurrency: int | None = None
    emulator_overflow: str = "queue"
    stream: bool = True
    max_tokens: int | None = None
    thinking_level: str | None = None
    concurrency: int | None = None
    rate: float | None = None
    arrivals: str = "poisson"
    burstiness: float = 1.0
    requests: int | None = None
    duration: float | None = None
    warmup_requests: int = 0
    warmup_seconds: float = 0.0
    seed: int = 0
    sweep: bool = False
    sweep_factor: float = 2.0
    sweep_steps: int = 6
    sweep_min_gain: float = 0.10
    sweep_max_errors: float = 0.05
    sweep_min_goodput: float = 0.90
    slo: Slo = field(default_factory=Slo)
    processes: int = 1
    ray: bool = False
    ray_address: str | None = None
    ray_runtime_env: dict[str, Any] | None = None
    max_in_flight: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    retry: bool = False
    timeout: float | None = None
    percentiles: tuple[float, ...] = PERCENTILES
    insecure_http: bool = False

    @property
    def mode(self) -> str:
        return "rate" if self.rate else "concurrency"

    def to_json(self) -> dict[str, Any]:
        """The settings worth keeping next to results (no key, no prompt texts)."""
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            if name in ("api_key", "prompts"):
                continue
            out[name] = value.to_json() if isinstance(value, Slo) else value
        out["prompt_count"] = len(self.prompts)
        out["mode"] = self.mode
        return out


def split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole shares that add up to it, larger ones first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def worker_specs(
    cfg: BenchConfig, base_url: str | None, *, concurrency: int | None, rate: float | None, cpu_clock: str = "process"
) -> list[WorkerSpec]:
    """One :class:`WorkerSpec` per worker for a load of ``concurrency`` loops or ``rate`` requests/s."""
    n = cfg.processes
    conc = split(concurrency, n) if concurrency else [None] * n
    reqs = split(cfg.requests, n) if cfg.requests is not None else [None] * n
    warm = split(cfg.warmup_requests, n)
    in_flight: list[int | None] = [*split(cfg.max_in_flight, n)] if cfg.max_in_flight else [None] * n
    specs = []
    for i in range(n):
        specs.append(
            WorkerSpec(
                worker=i,
                workers=n,
                base_url=base_url,
                api_key=cfg.api_key,
                model=cfg.model,
                prompts=cfg.prompts,
                stream=cfg.stream,
                max_tokens=cfg.max_tokens,
                thinking_level=cfg.thinking_level,
                concurrency=conc[i],
                rate=rate / n if rate else None,
                arrivals=cfg.arrivals,
                burstiness=cfg.burstiness,
                seed=cfg.seed,
                requests=reqs[i],
                duration=cfg.duration,
                warmup_requests=warm[i],
                warmup_seconds=cfg.warmup_seconds,
                timeout=cfg.timeout,
                retry=cfg.retry,
                insecure_http=cfg.insecure_http,
                max_in_flight=in_flight[i],
                rpm=cfg.rpm / n if cfg.rpm else None,
                tpm=cfg.tpm / n if cfg.tpm else None,
                slo=cfg.slo,
                cpu_clock=cpu_clock,
            )
        )
    return specs
