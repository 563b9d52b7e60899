"""``genai-async chat`` on a real pseudo-terminal (and piped), plus ``generate -`` and CLI wording.

The chat runs as a subprocess whose controlling terminal is a pty made here: Ctrl-C is the byte
0x03 written to the master side, turned into SIGINT by the kernel's line discipline exactly as
when a person presses it, and readline sees a real terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import sys

import pytest

from .test_cli import CLI, run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

# Make the inherited pty the child's controlling terminal (in a new session), then become the CLI.
_LAUNCH = (
    "import fcntl, os, sys, termios\n"
    "fd = int(sys.argv[1])\n"
    "fcntl.ioctl(fd, termios.TIOCSCTTY, 0)\n"
    "for n in (0, 1, 2): os.dup2(fd, n)\n"
    "os.close(fd)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)
_WAIT = 60.0  # an upper bound against hangs, never a timing assertion


_SELECT_SYSCALLS = {"23", "270", "72"}  # select and pselect6 on x86-64, pselect6 on arm64


def _sleeping_in(pid: int) -> bool | None:
    """Whether the process is blocked in select(); None where /proc cannot tell."""
    proc = pathlib.Path(f"/proc/{pid}")
    try:
        wchan = (proc / "wchan").read_text()
        syscall = (proc / "syscall").read_text().split()
    except OSError:
        return None
    if "do_select" in wchan or "poll_schedule_timeout" in wchan:
        return True
    return bool(syscall) and syscall[0] in _SELECT_SYSCALLS  # "running" while it runs


class Terminal:
    """The master side of a pty running the CLI: send keys, wait for text to appear."""

    def __init__(self, master: int, proc: asyncio.subprocess.Process) -> None:
        self.master = master
        self.proc = proc
        self.screen = b""
        self.seen = 0
        self.changed = asyncio.Event()
        self.eof = False
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO once the child side is closed
            data = b""
        if not data:
            self.eof = True
            asyncio.get_running_loop().remove_reader(self.master)
        self.screen += data
        self.changed.set()

    async def expect(self, text: str) -> str:
        """Wait until ``text`` appears after what earlier calls consumed; returns the output up to it."""
        needle = text.encode()

        async def wait() -> str:
            while (at := self.screen.find(needle, self.seen)) < 0:
                if self.eof:
                    raise AssertionError(f"{text!r} never appeared; the terminal showed:\n{self.text()}")
                self.changed.clear()
                await self.changed.wait()
            before = self.screen[self.seen : at + len(needle)]
            self.seen = at + len(needle)
            return before.decode(errors="replace")

        try:
            return await asyncio.wait_for(wait(), _WAIT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{text!r} never appeared; the terminal showed:\n{self.text()}") from None

    async def reading(self) -> None:
        """Wait until the CLI sits in readline's select() for the next key (Linux; elsewhere no-op).

        CPython's readline checks for signals only when its select() is interrupted: a Ctrl-C landing
        in the instant between two keys (echo written, select() not yet entered) waits for the next
        key. A person never hits that window; a test typing at machine speed on a busy host can.
        """
        for _ in range(int(_WAIT / 0.01)):
            where = _sleeping_in(self.proc.pid)
            if where is None or where:
                return  # in select() (not epoll: that is the event loop), or /proc does not say
            await asyncio.sleep(0.01)
        raise AssertionError(f"the CLI never waited for a key; the terminal showed:\n{self.text()}")

    def send(self, keys: str | bytes) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def text(self) -> str:
        return self.screen.decode(errors="replace")

    async def __aenter__(self) -> Terminal:
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.proc.kill()  # the test failed: do not wait for the session to end
        await self.close()

    async def close(self) -> int:
        """Wait for the CLI to exit (killing it if it does not) and close the master side."""
        try:
            code = await asyncio.wait_for(self.proc.wait(), _WAIT)
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            if not self.eof:
                asyncio.get_running_loop().remove_reader(self.master)
            os.close(self.master)
        return code


async def open_terminal(*args: str, history: str = "") -> Terminal:
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    env["TERM"] = "xterm"
    env["GENAI_ASYNC_HISTORY"] = history  # empty: none kept, so tests never touch the real home
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _LAUNCH,
            str(slave),
            *CLI[1:],
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=(slave,),
            env=env,
        )
    finally:
        os.close(slave)
    return Terminal(master, proc)


def texts(body: dict) -> list[tuple[str, str]]:
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


@pytest.mark.gemini_emulator(tokens_per_second=4, chunk_tokens=1)
async def test_ctrl_c_stops_the_answer_and_keeps_the_session(gemini_emulator) -> None:
    # minimal thinking: the slow answer's first words come at once instead of after its thoughts at 4 tokens/s
    args = ("--base-url", gemini_emulator.base_url, "--thinking-level", "minimal")
    async with await open_terminal("chat", *args) as term:
        await term.expect("you> ")
        term.send("I have 2 dogs in my house.\r")
        await term.expect("model> ")
        await term.expect(" ")  # a few words of the slow answer have arrived: it is streaming now
        term.send(b"\x03")
        await term.expect("[stopped")
        await term.expect("you> ")
        assert term.proc.returncode is None  # the session survived
        gemini_emulator.tokens_per_second = None
        term.send("How many paws are in my house?\r")
        await term.expect("model> ")
        await term.expect("you> ")
        body = gemini_emulator.requests[-1].json
        # The stopped turn was not kept: the second request carries only its own message.
        assert texts(body) == [("user", "How many paws are in my house?")]
        term.send("/exit\r")
    code = term.proc.returncode
    assert code == 0
    assert "Traceback" not in term.text()


async def test_ctrl_c_at_the_prompt_acts_at_once_and_twice_quits(gemini_emulator) -> None:
    async with await open_terminal("chat", "--base-url", gemini_emulator.base_url) as term:
        await term.expect("you> ")
        term.send("half a thought")
        await term.expect("thought")  # echoed: readline has the line
        await term.reading()
        term.send(b"\x03")  # no Enter: a read blocked in a worker thread would never see this
        await term.expect("Ctrl-C again")
        await term.expect("you> ")
        term.send("Hello\r")
        await term.expect("model> ")
        await term.expect("you> ")
        assert texts(gemini_emulator.requests[-1].json) == [("user", "Hello")]  # the cleared line was not sent
        await term.reading()
        term.send(b"\x03")
        await term.expect("Ctrl-C again")
        await term.expect("you> ")
        await term.reading()
        term.send(b"\x03")
    code = term.proc.returncode
    assert code == 0 and "Traceback" not in term.text()


async def test_readline_recalls_the_previous_line(gemini_emulator) -> None:
    async with await open_terminal("chat", "--base-url", gemini_emulator.base_url) as term:
        await term.expect("you> ")
        term.send("Name three colours\r")
        await term.expect("model> ")
        await term.expect("you> ")
        term.send(b"\x1b[A")  # arrow up: the last line comes back for editing
        term.send(b"\x7f" * 6 + b"shapes\r")  # edit it: six backspaces turn "colours" into "c"
        await term.expect("model> ")
        await term.expect("you> ")
        term.send(b"\x04")  # Ctrl-D quits
    code = term.proc.returncode
    assert code == 0
    sent = [texts(r.json)[-1][1] for r in gemini_emulator.requests if r.json]
    assert sent == ["Name three colours", "Name three cshapes"]


async def test_history_is_kept_across_sessions(gemini_emulator, tmp_path) -> None:
    history = tmp_path / "state" / "chat_history"
    async with await open_terminal("chat", "--base-url", gemini_emulator.base_url, history=str(history)) as term:
        await term.expect("you> ")
        term.send("Tell me about otters\r")
        await term.expect("model> ")
        await term.expect("you> ")
        term.send("/exit\r")
    assert term.proc.returncode == 0
    assert history.read_text().splitlines()[-2:] == ["Tell me about otters", "/exit"]
    async with await open_terminal("chat", "--base-url", gemini_emulator.base_url, history=str(history)) as term:
        await term.expect("you> ")
        term.send(b"\x1b[A\x1b[A\r")  # two lines back: the question of the last session
        await term.expect("model> ")
        await term.expect("you> ")
        term.send(b"\x04")
    assert term.proc.returncode == 0
    assert [texts(r.json)[-1][1] for r in gemini_emulator.requests if r.json] == ["Tell me about otters"] * 2


async def test_slash_commands_on_the_terminal_never_reach_the_model(gemini_emulator, tmp_path) -> None:
    saved = tmp_path / "talk.json"
    async with await open_terminal("chat", "--base-url", gemini_emulator.base_url) as term:
        await term.expect("you> ")
        term.send("/help\r")
        shown = await term.expect("you> ")
        for command in ("/exit", "/reset", "/history", "/save FILE", "/model NAME", "/help"):
            assert command in shown
        term.send("/nonsense\r")
        assert "unknown command /nonsense" in await term.expect("you> ")
        assert gemini_emulator.requests == []
        term.send("I have 2 dogs in my house.\r")
        await term.expect("model> ")
        await term.expect("you> ")
        term.send("/history\r")
        shown = await term.expect("you> ")
        assert "you: I have 2 dogs in my house." in shown and "model: " in shown
        term.send(f"/save {saved}\r")
        assert "saved 2 messages" in await term.expect("you> ")
        term.send("/model gemini-2.5-pro\r")
        await term.expect("you> ")
        term.send("//etc is a directory\r")
        await term.expect("model> ")
        await term.expect("you> ")
        last = gemini_emulator.requests[-1]
        assert "gemini-2.5-pro" in last.path
        assert texts(last.json)[0] == ("user", "I have 2 dogs in my house.")
        assert texts(last.json)[-1] == ("user", "/etc is a directory")
        term.send("/reset\r")
        await term.expect("you> ")
        term.send("Hi\r")
        await term.expect("model> ")
        await term.expect("you> ")
        assert texts(gemini_emulator.requests[-1].json) == [("user", "Hi")]
        term.send("/exit\r")
    code = term.proc.returncode
    assert code == 0
    doc = json.loads(saved.read_text())
    assert doc["model"] == "gemini-3.5-flash"
    assert [c["role"] for c in doc["contents"]] == ["user", "model"]
    assert doc["contents"][0]["parts"] == [{"text": "I have 2 dogs in my house."}]
    assert len(gemini_emulator.requests) == 3


async def test_piped_slash_commands_and_bad_ones(gemini_emulator, tmp_path) -> None:
    code, out, err = await run(
        "chat",
        "--base-url",
        gemini_emulator.base_url,
        stdin=f"/save\n/model not a model!\n/save {tmp_path}/missing/x.json\n/model\n/quit\n".encode(),
    )
    assert code == 0, err
    assert "usage: /save FILE" in out and "not a model name" in out and "cannot write" in out
    assert "model: gemini-3.5-flash" in out
    assert gemini_emulator.requests == []


async def test_chat_with_a_missing_file_is_a_usage_error(gemini_emulator) -> None:
    code, out, err = await run("chat", "--base-url", gemini_emulator.base_url, "--file", "/no/such/file", stdin=b"")
    assert code == 2 and "--file /no/such/file" in err


# -- generate -, empty prompts, CLI wording ----------------------------------------------------------


@pytest.mark.parametrize("command", ["generate", "stream"])
async def test_dash_reads_the_prompt_from_stdin(gemini_emulator, command: str) -> None:
    code, out, err = await run(
        command, "-", "--base-url", gemini_emulator.base_url, stdin=b"Summarise this:\nline one\nline two\n"
    )
    assert code == 0, err
    assert out.strip()
    assert texts(gemini_emulator.requests[-1].json) == [("user", "Summarise this:\nline one\nline two\n")]


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (["generate", ""], b"", "the prompt is empty"),
        (["generate", "   "], b"", "the prompt is empty"),
        (["stream", "-"], b"\n  \n", "stdin was empty"),
    ],
)
async def test_an_empty_prompt_is_a_usage_error(gemini_emulator, args: list[str], stdin: bytes, said: str) -> None:
    code, out, err = await run(*args, "--base-url", gemini_emulator.base_url, stdin=stdin)
    assert code == 2 and said in err and err.count("\n") == 1
    assert gemini_emulator.requests == []


async def test_plain_http_elsewhere_is_refused_in_cli_words() -> None:
    code, out, err = await run("generate", "Hi", "--base-url", "http://gemini.example.com", env={"GEMINI_API_KEY": "k"})
    assert code == 2 and "--insecure-http" in err
    assert "allow_insecure_http" not in err and "Traceback" not in err


async def test_insecure_http_lets_a_plain_http_host_through(gemini_emulator) -> None:
    port = gemini_emulator.base_url.rsplit(":", 1)[1]
    # 0.0.0.0 is not a loopback name to the client, yet it reaches the emulator on this machine.
    code, out, err = await run(
        "generate", "Hi", "--base-url", f"http://0.0.0.0:{port}", "--insecure-http", env={"GEMINI_API_KEY": "k"}
    )
    assert code == 0, err
    assert out.strip()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
async def test_bad_timeout_is_named_as_the_option(value: str) -> None:
    code, out, err = await run("generate", "Hi", "--emulator", "--timeout", value)
    assert code == 2 and "--timeout" in err and "positive number of seconds" in err
