"""genai_async.bulk against the emulator: output lines, resume, torn lines, typed errors for bad
lines, adaptive slow-down on 429, the async iterator, and the CLI's exit codes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import genai_async
from genai_async import bulk, errors
from genai_async._bulk import _journal
from genai_async._cli import main
from genai_async.emulator import Emulator, running
from tests.waiting import wait_until

MODEL = "gemini-3.5-flash"


@pytest.fixture
async def emu() -> Any:
    async with running() as emulator:
        yield emulator


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def prompts(n: int) -> list[dict[str, Any]]:
    return [{"key": f"q{i}", "prompt": f"question {i}"} for i in range(n)]


async def test_run_writes_one_line_per_key(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = await bulk.run(prompts(20), output=out, model=MODEL, api_key="k", base_url=emu.base_url, concurrency=4)
    records = read(out)
    assert sorted(r["key"] for r in records) == sorted(f"q{i}" for i in range(20))
    first = records[0]
    assert set(first) == {"key", "response", "usage", "latency_ms"}
    assert first["usage"] == first["response"]["usageMetadata"] and first["latency_ms"] >= 0
    assert (summary.done, summary.failed, summary.skipped) == (20, 0, 0)
    assert summary.output_tokens > 0 and summary.rate > 0


async def test_rerun_skips_everything_and_resume_redoes_only_missing(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    await bulk.run(prompts(10)[:6], output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    before = len(emu.requests)
    summary = await bulk.run(prompts(10), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    assert (summary.skipped, summary.done) == (6, 4) and len(emu.requests) - before == 4
    again = await bulk.run(prompts(10), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    assert (again.skipped, again.done) == (10, 0)
    assert Counter(r["key"] for r in read(out)) == Counter(f"q{i}" for i in range(10))


async def test_torn_last_line_is_cut_and_redone(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    await bulk.run(prompts(3), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    data = out.read_bytes()
    lines = data.split(b"\n")
    torn_key = json.loads(lines[2])["key"]
    out.write_bytes(b"\n".join(lines[:2]) + b"\n" + lines[2][: len(lines[2]) // 2])  # killed inside a write
    summary = await bulk.run(prompts(3), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    assert summary.torn_line and (summary.skipped, summary.done) == (2, 1)
    assert "torn last line" in summary.text()
    records = read(out)
    assert sorted(r["key"] for r in records) == ["q0", "q1", "q2"] and records[-1]["key"] == torn_key


def test_a_bad_line_in_the_middle_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"key": 1}\nnot json\n{"key": 2}\n')
    with pytest.raises(errors.ConfigurationError, match="line 2 is not JSON"):
        _journal.scan(str(out))
    assert out.read_bytes() == b'{"key": 1}\nnot json\n{"key": 2}\n'  # untouched


def test_scan_counts_failures_and_compares_keys_as_text(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"key": 5, "error": {"type": "ClientError"}}\n\n{"key": "a", "response": {}}\n{"key": "b"')
    resume = _journal.scan(str(out))
    assert (resume.lines, resume.failed, resume.torn) == (2, 1, True)
    assert "5" in resume and "a" in resume and "b" not in resume
    assert out.read_bytes().endswith(b'"response": {}}\n')


async def test_bad_input_lines_become_typed_errors_not_silence(emu: Emulator, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        '{"prompt": "ok"}\nnot json\n{"key": "x", "prompt": 3}\n{"contents": "c", "config": {"tempx": 1}}\n'
        '{"key": "w", "request": {"contents": [{"role": "user", "parts": [{"text": "wire"}]}], '
        '"generationConfig": {"maxOutputTokens": 700}}}\n[1]\n'
    )
    summary = await bulk.run(str(src), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    records = {json.dumps(r["key"]): r for r in read(out)}
    assert set(records) == {"1", "2", '"x"', "4", '"w"', "6"}
    assert "response" in records["1"] and "response" in records['"w"']
    assert emu.requests[-1].json["generationConfig"] == {"maxOutputTokens": 700} or any(
        r.json.get("generationConfig") == {"maxOutputTokens": 700} for r in emu.requests
    )
    assert "not JSON" in records["2"]["error"]["message"]
    assert "'prompt' must be a string" in records['"x"']["error"]["message"]
    assert "tempx" in records["4"]["error"]["message"] and records["4"]["error"]["type"] == "ConfigurationError"
    assert "expected a JSON object" in records["6"]["error"]["message"]
    assert (summary.failed, summary.errors) == (4, {"ConfigurationError": 4})


async def test_api_errors_are_written_with_code_and_status(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    emu.queue_error(400, message="bad thing", endpoint="generateContent")
    summary = await bulk.run(prompts(1), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    (record,) = read(out)
    assert record["error"] == {"type": "ClientError", "code": 400, "status": "INVALID_ARGUMENT", "message": "bad thing"}
    assert summary.errors == {"400 INVALID_ARGUMENT": 1} and summary.failed_total == 1


async def test_429_slows_the_whole_run_and_is_retried(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    emu.queue_error(429, retry_delay=0.05, endpoint="generateContent", times=3)
    summary = await bulk.run(prompts(30), output=out, model=MODEL, api_key="k", base_url=emu.base_url, concurrency=8)
    assert (summary.done, summary.failed) == (30, 0)
    assert summary.throttled == 3 and summary.lowest_concurrency == 4  # one burst: one cut
    assert "throttled (429) 3 times" in summary.text()


async def test_persistent_429_ends_as_the_keys_error(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    emu.queue_error(429, retry_delay=0.001, endpoint="generateContent", times=50)
    summary = await bulk.run(prompts(1), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    (record,) = read(out)
    assert record["error"]["code"] == 429 and summary.failed == 1


async def test_iterate_yields_results_and_break_cancels(emu: Emulator) -> None:
    got = [r async for r in bulk.iterate(["a", "b", "c"], model=MODEL, api_key="k", base_url=emu.base_url)]
    assert sorted(r.key for r in got) == [1, 2, 3] and all(r.ok and r.response and r.response.text for r in got)

    async def gen() -> Any:
        for i in range(1000):
            yield {"key": i, "prompt": "p"}

    import contextlib

    async with genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        async with contextlib.aclosing(bulk.iterate(gen(), model=MODEL, client=client, concurrency=4)) as results:
            async for first in results:
                assert first.ok
                break
        sent = len(emu.requests)
        assert sent < 50 and not client._transport._live  # stopped at once: nothing in flight, the rest never sent
        assert await client.models.generate_content(model=MODEL, contents="still usable")
        assert len(emu.requests) == sent + 1


async def test_bad_arguments(emu: Emulator, tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError, match="concurrency"):
        await bulk.run(["a"], output=tmp_path / "o", model=MODEL, concurrency=0)
    with pytest.raises(errors.ConfigurationError, match="JSONL path or an iterable"):
        await bulk.run(42, output=tmp_path / "o", model=MODEL, api_key="k", base_url=emu.base_url)


async def test_cli_exit_codes(emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"prompt": "a"}\n{"prompt": "b"}\n')
    args = [
        "run",
        str(src),
        "--output",
        str(out),
        "--base-url",
        emu.base_url,
        "--no-progress",
        "--price-input",
        "0.3",
        "--price-output",
        "2.5",
    ]
    import asyncio

    code = await asyncio.to_thread(main, args)
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 requests" in printed and "estimated cost: $" in printed
    src.write_text('{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": 1}\n')
    assert await asyncio.to_thread(main, args) == 1
    assert "1 failed" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["run", str(tmp_path / "missing"), "--output", str(out)]) == 2
    assert await asyncio.to_thread(main, ["run", str(src), "--output", str(src), "--base-url", emu.base_url]) == 2
    for bad in (["--concurrency", "0"], ["--ray-workers", "0"], ["--batch-api", "--ray"]):
        assert await asyncio.to_thread(main, [*args, *bad]) == 2
    assert "must be at least 1" in capsys.readouterr().err


async def test_progress_line_shows_done_rate_eta_and_errors(emu: Emulator, tmp_path: Path) -> None:
    import io

    from genai_async._bulk._input import from_path
    from genai_async._bulk._run import run_to_file

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(5)) + '{"prompt": 1}\n')
    stream = io.StringIO()
    async with bulk.runner_client(None, concurrency=2, api_key="k", base_url=emu.base_url) as client:
        summary = await run_to_file(
            from_path(src), out, client=client, model=MODEL, concurrency=2, total=6, progress=True, stream=stream
        )
    drawn = stream.getvalue()
    assert "6 done" in drawn and "req/s" in drawn and "errors 1" in drawn and "tok/s" in drawn
    assert "eta" in drawn and drawn.endswith("\n")
    assert summary.done == 6


def test_failures_in_responses_are_not_miscounted(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(
        b'{"key": 1, "response": {"candidates": [{"content": {"parts": [{"functionCall": '
        b'{"name": "f", "args": {"error": "x"}}}]}}]}}\n'
    )
    assert _journal.scan(str(out)).failed == 0


async def test_cancelled_run_closes_everything_and_resumes_exactly_once(tmp_path: Path) -> None:
    import asyncio

    out = tmp_path / "out.jsonl"
    async with running(time_to_first_chunk=0.01) as slow:
        task = asyncio.create_task(
            bulk.run(prompts(400), output=out, model=MODEL, api_key="k", base_url=slow.base_url, concurrency=4)
        )
        await wait_until(lambda: out.exists() and out.read_bytes().count(b"\n") >= 5)  # the file is the condition
        task.cancel()  # Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await task
        partial = out.read_bytes()
        assert partial.endswith(b"\n") and partial.count(b"\n") < 400  # whole lines only, run stopped early
        summary = await bulk.run(
            prompts(400), output=out, model=MODEL, api_key="k", base_url=slow.base_url, concurrency=16
        )
    assert summary.skipped == partial.count(b"\n") and summary.done == 400 - summary.skipped
    assert Counter(r["key"] for r in read(out)) == Counter(f"q{i}" for i in range(400))


async def test_a_failing_writer_surfaces_as_itself(emu: Emulator, tmp_path: Path) -> None:
    from genai_async._bulk._engine import execute
    from genai_async._bulk._input import Item

    def broken(result: object) -> None:
        raise OSError(28, "No space left on device")

    async with genai_async.Client(api_key="k", base_url=emu.base_url) as client:
        with pytest.raises(OSError, match="No space left"):
            await execute([Item(1, "a"), Item(2, "b")], broken, client=client, model=MODEL, concurrency=2)


async def test_retry_failed_reruns_only_the_error_keys_once(emu: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    emu.queue_error(400, endpoint="generateContent", times=2)
    first = await bulk.run(prompts(6), output=out, model=MODEL, api_key="k", base_url=emu.base_url, concurrency=1)
    assert first.failed == 2
    plain = await bulk.run(prompts(6), output=out, model=MODEL, api_key="k", base_url=emu.base_url)
    assert (plain.done, plain.failed_before, plain.failed_total) == (0, 2, 2)  # a plain rerun keeps the errors
    again = await bulk.run(prompts(6), output=out, model=MODEL, api_key="k", base_url=emu.base_url, retry_failed=True)
    assert (again.skipped, again.done, again.failed, again.failed_total) == (4, 2, 0, 0)
    records = read(out)
    assert Counter(r["key"] for r in records) == Counter(f"q{i}" for i in range(6))
    assert all("response" in r for r in records)
    assert [p.name for p in files_in(tmp_path)] == ["out.jsonl"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_cli_runs_on_the_event_loop_asked_for(
    emu: Emulator, tmp_path: Path, loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --loop`: uvloop (auto when installed) costs less CPU per request; both write every key once."""
    import asyncio

    uvloop = pytest.importorskip("uvloop")
    used: list[str] = []
    real_run = uvloop.run

    def spy(main: Any) -> Any:
        used.append("uvloop")
        return real_run(main)

    monkeypatch.setattr(uvloop, "run", spy)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in prompts(5)))
    args = ["run", str(src), "--output", str(out), "--base-url", emu.base_url, "--no-progress", "--loop", loop]
    assert await asyncio.to_thread(main, args) == 0
    assert sorted(line["key"] for line in read(out)) == [f"q{i}" for i in range(5)]
    assert all("response" in line for line in read(out))
    assert used == (["uvloop"] if loop == "uvloop" else [])
    out.unlink()
    assert await asyncio.to_thread(main, args[:-2]) == 0  # --loop auto: uvloop, as it is installed
    assert used[-1:] == ["uvloop"] and len(read(out)) == 5


async def test_loop_uvloop_without_uvloop_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import sys

    from genai_async._cli.common import resolve_loop

    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError, as when it is not installed
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"prompt": "a"}\n')
    args = ["run", str(src), "--output", str(out), "--base-url", "http://127.0.0.1:9", "--loop", "uvloop"]
    assert await asyncio.to_thread(main, args) == 2
    err = capsys.readouterr().err
    assert "pip install 'genai-async[uvloop]'" in err and "Traceback" not in err
    assert not out.exists()
    assert resolve_loop("auto") == "asyncio" and resolve_loop("asyncio") == "asyncio"


async def test_ray_without_ray_is_a_one_line_usage_error(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --ray` on a machine without Ray says what to install (exit 2), as `bench --ray` does, instead
    of a traceback; nothing is written."""
    import asyncio
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, as when it is not installed
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"prompt": "a"}\n')
    args = ["run", str(src), "--output", str(out), "--base-url", emu.base_url, "--no-progress", "--ray", "auto"]
    assert await asyncio.to_thread(main, args) == 2
    err = capsys.readouterr().err
    assert "pip install 'genai-async[ray]'" in err and "Traceback" not in err
    assert not out.exists() or out.read_text() == ""
