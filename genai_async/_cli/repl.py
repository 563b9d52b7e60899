"""``genai-async chat``: an interactive terminal chat that survives Ctrl-C.

Design. The prompt is read with the built-in ``input()`` in the main thread, with :mod:`readline`
loaded when stdin is a terminal (line editing, history with the arrow keys kept across sessions in
:func:`history_file`, Tab completion of slash commands). Reading in the main thread is what makes
Ctrl-C at the prompt act at once: ``input()`` raises ``KeyboardInterrupt`` immediately, while a read
parked in an executor thread (the old design) could not be interrupted until Enter was pressed.

Everything asynchronous (the client, the in-process emulator, each answer) runs on ONE event loop
owned by :class:`_Loop`, which runs only while there is async work: one ``run_until_complete``
per turn. During a turn, SIGINT cancels the turn's task instead of raising in whatever frame
happened to run: the stream's ``async with`` closes its connection, the chat leaves its history
as it was (a turn is committed only with a complete answer), and the prompt comes back. Ctrl-C at
an empty prompt twice in a row, ``/exit`` or Ctrl-D end the session.

Lines starting with ``/`` are commands and never reach the model (``//text`` sends ``/text``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .._codec import encode
from .._coerce import model_path
from ..errors import ConfigurationError, GenAIError
from ..types import Content
from .common import contents_of, generate_config, one_line, open_client, out, stream_answer

T = TypeVar("T")

COMMANDS = {
    "/help": "list these commands",
    "/exit": "end the session (also /quit, Ctrl-D, or Ctrl-C twice at the prompt)",
    "/reset": "forget the conversation and start a new one",
    "/history": "show the conversation so far",
    "/save FILE": "write the conversation as JSON (the REST `contents` list, plus the model)",
    "/model NAME": "talk to another model from now on, keeping the conversation",
}
_ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help"}


class _Loop:
    """One event loop reused across turns; :meth:`turn` makes Ctrl-C cancel just that turn."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def turn(self, coro: Coroutine[Any, Any, Any]) -> bool:
        """Run ``coro``; True when it finished, False when Ctrl-C (SIGINT) cancelled it."""
        task = self.loop.create_task(coro)
        previous: Any = None
        if threading.current_thread() is threading.main_thread():

            def on_sigint(signum: int, frame: object) -> None:
                # call_soon_threadsafe also wakes the selector the signal interrupted.
                self.loop.call_soon_threadsafe(task.cancel)

            previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            self.loop.run_until_complete(task)
        except asyncio.CancelledError:
            return False
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return True

    def close(self) -> None:
        try:
            for task in asyncio.all_tasks(self.loop):
                task.cancel()
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()


HISTORY_LINES = 1000


def history_file() -> pathlib.Path | None:
    """Where prompt history persists: ``GENAI_ASYNC_HISTORY`` (empty: nowhere), else
    ``$XDG_STATE_HOME/genai-async/chat_history`` (``~/.local/state/...`` by default)."""
    chosen = os.environ.get("GENAI_ASYNC_HISTORY")
    if chosen is not None:
        return pathlib.Path(chosen).expanduser() if chosen.strip() else None
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return pathlib.Path(state) / "genai-async" / "chat_history"


def _readline() -> Callable[[], None]:
    """Line editing, history (kept across sessions) and Tab completion of commands for ``input()``,
    where :mod:`readline` exists and stdin is a terminal. Returns what saves the history at the end."""
    if not sys.stdin.isatty():
        return lambda: None
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return lambda: None
    names = sorted({*(c.split()[0] for c in COMMANDS), *_ALIASES})

    def complete(text: str, state: int) -> str | None:
        matches = [n for n in names if n.startswith(text)] if text.startswith("/") else []
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")
    path = history_file()
    if path is None:
        return lambda: None
    with contextlib.suppress(OSError):  # no history yet, or an unreadable one: start empty
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LINES)

    def save() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError as exc:  # history is a convenience: say so, never fail the session for it
            sys.stderr.write(f"genai-async: could not save the chat history to {path}: {exc.strerror or exc}\n")

    return save


def describe_part(part: Any) -> str:
    if part.text is not None:
        return str(part.text)
    blob = part.inline_data
    if blob is not None:
        return f"[{blob.mime_type}, {len(blob.data or b'')} bytes]"
    if part.file_data is not None:
        return f"[file {part.file_data.file_uri}]"
    if part.function_call is not None:
        return f"[call {part.function_call.name}]"
    if part.function_response is not None:
        return f"[result of {part.function_response.name}]"
    return "[non-text part]"


def history_text(history: list[Content]) -> str:
    """The conversation as ``you:``/``model:`` lines (thoughts left out)."""
    if not history:
        return "(no messages yet)\n"
    lines = []
    for content in history:
        who = "you" if content.role == "user" else "model"
        parts = [describe_part(p) for p in content.parts or [] if not p.thought]
        lines.append(f"  {who}: {''.join(parts).strip()}")
    return "\n".join(lines) + "\n"


def save_conversation(path: str, model: str, history: list[Content]) -> pathlib.Path:
    """Write ``{"model": ..., "contents": [...]}`` in the wire's camelCase form; returns the path."""
    target = pathlib.Path(path).expanduser()
    doc = {"model": model, "contents": [json.loads(encode(c)) for c in history]}
    target.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


class ChatSession:
    """The state of one terminal chat: the client, the current chat, and the slash commands."""

    def __init__(self, args: argparse.Namespace, client: Any, out: Callable[[str], None]) -> None:
        self.args = args
        self.client = client
        self.out = out
        self.config = generate_config(args)
        self.chat = client.chats.create(model=args.model, config=self.config)

    def command(self, line: str) -> bool:
        """Run a slash command; False when the session should end."""
        name, _, arg = line.strip().partition(" ")
        name = _ALIASES.get(name.lower(), name.lower())
        arg = arg.strip()
        if name == "/exit":
            return False
        if name == "/help":
            width = max(len(k) for k in COMMANDS)
            self.out("".join(f"  {k:<{width}}  {v}\n" for k, v in COMMANDS.items()))
            self.out("  Lines starting with // are sent with one / removed. Ctrl-C stops an answer.\n")
        elif name == "/reset":
            self.chat = self.client.chats.create(model=self.chat.model, config=self.config)
            self.out("(conversation cleared)\n")
        elif name == "/history":
            self.out(history_text(self.chat.get_history()))
        elif name == "/save":
            if not arg:
                self.out("usage: /save FILE\n")
            else:
                try:
                    path = save_conversation(arg, self.chat.model, self.chat.get_history())
                    self.out(f"(saved {len(self.chat.get_history())} messages to {path})\n")
                except OSError as exc:
                    self.out(f"[error] cannot write {arg}: {exc.strerror or exc}\n")
        elif name == "/model":
            if not arg:
                self.out(f"model: {self.chat.model} (usage: /model NAME)\n")
            else:
                try:
                    model_path(arg)
                except ConfigurationError:
                    self.out(f"[error] {arg!r} is not a model name; e.g. /model gemini-3.5-flash\n")
                    return True
                self.chat = self.client.chats.create(model=arg, config=self.config, history=self.chat.get_history())
                self.out(f"(now talking to {arg}; the conversation is kept)\n")
        else:
            self.out(
                f"unknown command {name}; /help lists the commands (start with // to send a line beginning with /)\n"
            )
        return True

    async def answer(self, text: str) -> None:
        contents = contents_of(text, self.args.file) if self.args.file else text
        self.out("model> ")
        try:
            await stream_answer(self.chat.send_message_stream(contents), self.args.thoughts)
        except GenAIError as exc:
            self.out(f"\n[error] {one_line(exc)}\n")
            return
        self.args.file = []  # attachments go with the first answered message only


def run_chat(args: argparse.Namespace) -> int:
    """The ``chat`` command; returns the exit code."""
    contents_of("", args.file)  # a missing --file is a usage error now, not at the first message
    loop = _Loop()
    stack = contextlib.AsyncExitStack()
    try:
        try:
            client = loop.run(stack.enter_async_context(open_client(args)))
        except KeyboardInterrupt:
            return 130
        session = ChatSession(args, client, out)
        keep_history = _readline()
        out(f"Chatting with {args.model}. /help lists commands; Ctrl-C stops an answer; Ctrl-D or /exit quits.\n")
        try:
            _repl(loop, session)
        finally:
            keep_history()
        return 0
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            loop.run(stack.aclose())
        loop.close()


def _repl(loop: _Loop, session: ChatSession) -> None:
    interrupted = False
    while True:
        try:
            line = input("you> ")
            interrupted = False
            if not _handle(loop, session, line):
                return
        except EOFError:
            session.out("\n")
            return
        except KeyboardInterrupt:  # at the prompt (or between prompts, outside any turn)
            if interrupted:
                session.out("\n")
                return
            interrupted = True
            session.out("\n(Ctrl-C again, Ctrl-D or /exit quits)\n")


def _handle(loop: _Loop, session: ChatSession, line: str) -> bool:
    """One line from the prompt; False when the session should end."""
    text = line.strip()
    if not text:
        return True
    if text.startswith("/") and not text.startswith("//"):
        return session.command(text)
    if text.startswith("//"):
        line = line.lstrip()[1:]
    if not loop.turn(session.answer(line)):
        session.out("\n[stopped: this answer is not kept in the conversation]\n")
    return True
