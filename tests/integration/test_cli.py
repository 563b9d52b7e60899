"""The genai-async command, run as a subprocess against the emulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys

import pytest

CLI = [sys.executable, "-m", "genai_async"]


async def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 60):
    full_env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    full_env.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        env=full_env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    return proc.returncode, out.decode(), err.decode()


async def test_demo_runs_offline() -> None:
    code, out, err = await run("demo")
    assert code == 0, err
    assert "time to first token" in out and "tokens/s" in out and "usage" in out
    assert "AI" in out


async def test_generate_on_emulator_flag() -> None:
    system = ("--system", "You are a cat. Your name is Neko.")
    code, out, err = await run("generate", "Hello there", "--emulator", "--thinking-level", "minimal", *system)
    assert code == 0, err
    assert "Neko" in out


async def test_stream_json_lines(gemini_emulator) -> None:
    code, out, err = await run("stream", "Hi", "--base-url", gemini_emulator.base_url, "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) > 1 and all("candidates" in line for line in lines)
    assert lines[-1]["candidates"][0]["finishReason"] == "STOP"


async def test_generate_options_reach_the_wire(gemini_emulator, tmp_path) -> None:
    image = tmp_path / "pic.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    code, out, err = await run(
        "generate",
        "Describe",
        "--base-url",
        gemini_emulator.base_url,
        "--max-tokens",
        "500",
        "--temperature",
        "0.3",
        "--thinking-level",
        "low",
        "--file",
        str(image),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["candidates"]
    body = gemini_emulator.requests[-1].json
    assert body["generationConfig"] == {
        "maxOutputTokens": 500,
        "temperature": 0.3,
        "thinkingConfig": {"thinkingLevel": "LOW"},
    }
    assert body["contents"][0]["parts"][0]["inlineData"]["mimeType"] == "image/png"


async def test_chat_keeps_history_and_quits_on_eof(gemini_emulator) -> None:
    code, out, err = await run(
        "chat",
        "--base-url",
        gemini_emulator.base_url,
        stdin=b"I have 2 dogs in my house.\nHow many paws are in my house?\n",
    )
    assert code == 0, err
    assert out.count("model>") == 2 and "8" in out
    assert len(gemini_emulator.requests[-1].json["contents"]) == 3


async def test_missing_key_is_one_line_exit_2() -> None:
    code, out, err = await run("generate", "Hi")
    assert code == 2
    assert err.count("\n") == 1 and "GEMINI_API_KEY" in err and "Traceback" not in err


async def test_network_failure_is_one_line_exit_1() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    code, out, err = await run(
        "generate", "Hi", "--base-url", f"http://127.0.0.1:{port}", "--no-retry", env={"GEMINI_API_KEY": "k"}
    )
    assert code == 1 and "cannot connect" in err and "Traceback" not in err


async def test_api_error_never_shows_the_key(gemini_emulator) -> None:
    gemini_emulator.api_key = "the-right-key"
    secret = "SECRET-KEY-123456"
    code, out, err = await run("generate", "Hi", "--base-url", gemini_emulator.base_url, env={"GEMINI_API_KEY": secret})
    assert code == 1 and "API key not valid" in err
    assert secret not in out + err
    code, out, err = await run(
        "generate", "Hi", "--base-url", gemini_emulator.base_url, "--debug", env={"GEMINI_API_KEY": secret}
    )
    assert "Traceback" in err and secret not in out + err


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_emulator_command_serves_until_ctrl_c(loop: str) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "emulator",
        "--port",
        str(port),
        "--loop",
        loop,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert f"http://127.0.0.1:{port}" in line.decode()
    code, out, err = await run("generate", "Hi", "--base-url", f"http://127.0.0.1:{port}")
    assert code == 0 and out.strip(), err
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 15) == 0
    assert b"Traceback" not in await proc.stderr.read()  # type: ignore[union-attr]


@pytest.mark.parametrize("args", [["--version"], ["generate", "--help"]])
async def test_help_and_version(args: list[str]) -> None:
    code, out, _ = await run(*args)
    assert code == 0 and out
