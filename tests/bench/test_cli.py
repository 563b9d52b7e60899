"""``genai-async bench`` as a subprocess (and in-process for a sweep) against the emulator."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from genai_async._cli import main
from genai_async._cli.bench.metrics import RequestRecord, Slo, stats_of

CLI = [sys.executable, "-m", "genai_async", "bench"]
FAST = ["--emulator", "--thinking-level", "minimal", "--emulator-ttft", "0.05", "--emulator-tps", "2000"]


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pathlib.Path(path).read_text())
    return data


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    full_env.update(env or {})
    return subprocess.Popen([*CLI, *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    return finish(start(*args, env=env))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """One single-process run (the brief's command line, at a faster emulator pace) and one --processes 2
    run, kept as JSON."""
    folder = tmp_path_factory.mktemp("runs")
    a, b = str(folder / "a.json"), str(folder / "b.json")
    pace = ["--emulator-ttft", "0.05", "--emulator-tps", "1000"]
    first = start("--emulator", "--requests", "20", "--concurrency", "4", *pace, "--output", a)
    second = start(
        *FAST, "--requests", "20", "--concurrency", "4", "--processes", "2", "--slo-ttft", "5000", "--output", b
    )
    code, out, err = finish(first)
    assert code == 0, err
    code, _, err = finish(second)
    assert code == 0, err
    return a, b, out


def test_cli_run_prints_a_table_and_writes_every_request(two_runs: tuple[str, str, str]) -> None:
    a, _, out = two_runs
    for text in ("concurrency 4", "TTFT", "inter-chunk", "TPOT", "end-to-end", "req/s", "µs per chunk", "retries off"):
        assert text in out
    doc = load(a)
    assert doc["format"] == "genai-async-bench/2" and doc["config"]["concurrency"] == 4
    assert "api_key" not in doc["config"]
    assert len(doc["requests"]) == 20 and doc["summary"]["completed"] == 20
    first = doc["requests"][0]
    assert {"start", "ttft", "chunks", "end", "e2e", "output_tokens", "error"} <= set(first)
    assert first["output_tokens"] > 0 and first["ttft"] == first["chunks"][0] <= first["e2e"]
    assert first["end"] == first["start"] + first["e2e"]  # both wall-clock timestamps
    # the emulator served from this process: how busy the process was is kept (and warned about)
    assert 0 < doc["summary"]["client"]["host_cpu_utilisation"] <= 2


def test_processes_add_up_and_merge_exactly(two_runs: tuple[str, str, str]) -> None:
    _, b, _ = two_runs
    doc = load(b)
    summary, records = doc["summary"], [RequestRecord.from_json(r) for r in doc["requests"]]
    assert len(records) == 20 and summary["completed"] == 20
    assert {r.worker for r in records} == {0, 1}
    assert sum(r.worker == 0 for r in records) == 10
    assert summary["output_tokens"] == sum(r.output_tokens or 0 for r in records) > 0
    assert summary["client"]["workers"] == 2
    assert 0 < summary["client"]["workers_overlap"] <= 1  # started on one signal: they ran together
    # the summary merged from two processes equals one computed here over all their records
    slo = Slo(ttft=5.0)
    again = stats_of(records, slo).summary(slo)
    assert again.pop("client")["chunks"] == summary.pop("client")["chunks"]
    assert again == summary  # every latency percentile, count, rate and the goodput, exactly
    assert again["goodput"]["requests"] == 20


def test_compare_prints_both_runs_with_deltas(two_runs: tuple[str, str, str]) -> None:
    a, b, _ = two_runs
    code, out, err = run("compare", a, b)
    assert code == 0, err
    assert a in out and b in out
    assert "TTFT p50 (ms)" in out and "output tokens/s" in out and "change" in out


def test_compare_rejects_other_files(tmp_path: pathlib.Path) -> None:
    other = tmp_path / "other.json"
    other.write_text("{}")
    code, out, err = run("compare", str(other), str(other))
    assert code == 2 and "not a genai-async bench --output file" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--requests", "5", "--duration", "2"], "exclude each other"),
        (["--concurrency", "1", "--processes", "2"], "below --processes"),
        (["--warmup", "ten"], "--warmup ten"),
        (["--emulator", "--base-url", "http://127.0.0.1:1"], "exclude each other"),
        (["--requests", "4", "--concurrency", "8"], "--requests 4 cannot keep --concurrency 8 busy"),
        (["--requests", "4", "--sweep", "--processes", "8", "--concurrency", "8"], "below --processes 8"),
        (
            ["--requests", "8", "--concurrency", "2", "--processes", "2", "--max-in-flight", "1"],
            "--max-in-flight 1 is below --processes 2",
        ),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_plots_without_matplotlib_say_how_to_get_it(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "block" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(blocker.parent), os.environ.get("PYTHONPATH", "")])}
    code, out, err = run(*FAST, "--requests", "4", "--plots", str(tmp_path / "plots"), env=env)
    assert code == 0 and "TTFT" in out
    assert "pip install 'genai-async[plot]'" in err


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib is not installed")
def test_sweep_finds_a_knee_and_writes_plots(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file, plots = tmp_path / "sweep.json", tmp_path / "plots"
    code = main(
        [
            "bench",
            *FAST,
            "--sweep",
            "--sweep-steps",
            "3",
            "--requests",
            "6",
            "--warmup",
            "2",
            "--output",
            str(out_file),
            "--plots",
            str(plots),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "verdict" in out and "concurrency 4" in out
    doc = json.loads(out_file.read_text())
    assert [s["concurrency"] for s in doc["steps"]][:2] == [1, 2]
    assert doc["knee"] is not None and doc["summary"] == doc["steps"][doc["knee"]]["summary"]
    assert all(len(s["requests"]) == 6 for s in doc["steps"])
    assert {p.name for p in plots.iterdir()} == {
        "latency_cdf.png",
        "throughput.png",
        "sweep.png",
        "throughput_latency.png",
    }


def test_the_readme_sweep_example_finds_a_knee_and_compare_reads_its_file(tmp_path: pathlib.Path) -> None:
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("genai-async bench --sweep"))
    args = line.split("#")[0].split()[2:]
    assert args[args.index("--duration") + 1] == "30"
    # the same sweep (SLOs, plots, the emulator's default capacity) with 2 s steps; the emulator's pace is
    # raised so each step completes ~5x the requests that 3 s steps at the default pace did (1 s steps were
    # too short: ramp-up and tail made concurrency 32 look 15 % faster than 16 on a busy machine)
    args[args.index("--duration") + 1] = "2"
    args[args.index("--plots") + 1] = str(tmp_path / "plots")
    out_file = tmp_path / "sweep.json"
    pace = ["--emulator-ttft", "0.05", "--emulator-tps", "1000"]
    code, out, err = finish(start(*args, *pace, "--output", str(out_file), "--no-progress"), timeout=300)
    assert code == 0, err
    assert "knee (*): concurrency" in out and "no knee" not in out, out
    doc = load(str(out_file))
    assert doc["knee"] is not None and doc["knee"] >= 2  # it got past the first steps
    code, text, err = run("compare", str(out_file), str(out_file))
    assert code == 0, err
    assert "step 1: A concurrency 1" in text and "knee: A concurrency" in text


def test_emulator_command_checks_its_capacity_options() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "genai_async", "emulator", "--max-concurrency", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--max-concurrency" in proc.stderr
