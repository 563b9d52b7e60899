"""``genai-async live``: a text-mode Live API session in the terminal.

Type a line, watch the answer stream in, Ctrl-D ends the session. ``--emulator`` runs offline on the
embedded emulator; ``--audio-out FILE.wav`` asks for spoken answers, prints their transcription and
writes the audio (24 kHz, 16-bit mono PCM) to a WAV file with the standard library's ``wave``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import wave
from collections.abc import Iterator
from typing import Any

from .. import types
from ..errors import GenAIError
from .common import dim, one_line, open_client, out

DEFAULT_LIVE_MODEL = "gemini-live-2.5-flash-preview"
SAMPLE_RATE = 24000


def add_live_parser(sub: Any) -> None:
    live = sub.add_parser("live", help="a live (WebSocket) session: type lines, see streamed answers")
    live.add_argument("--model", default=DEFAULT_LIVE_MODEL, help=f"live model id (default {DEFAULT_LIVE_MODEL})")
    live.add_argument("--base-url", help="connect to this server instead of Google's")
    live.add_argument("--emulator", action="store_true", help="start the local emulator and use it (no key needed)")
    live.add_argument("--system", help="system instruction")
    live.add_argument("--audio-out", metavar="FILE.wav", help="ask for spoken answers and write them to this WAV file")
    live.add_argument("--voice", help="prebuilt voice name for spoken answers (e.g. Kore)")
    live.add_argument("--resume", action="store_true", help="let the session survive goAway and dropped connections")
    live.add_argument("--timeout", type=float, help="longest wait for the session to open, in seconds")
    live.add_argument("--debug", action="store_true", help="show tracebacks")


def live_config(args: argparse.Namespace) -> types.LiveConnectConfig:
    fields: dict[str, Any] = {"response_modalities": ["AUDIO" if args.audio_out else "TEXT"]}
    if args.system:
        fields["system_instruction"] = args.system
    if args.audio_out:
        fields["output_audio_transcription"] = types.AudioTranscriptionConfig()
        if args.voice:
            voice = types.VoiceConfig(prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=args.voice))
            fields["speech_config"] = types.SpeechConfig(voice_config=voice)
    if args.resume:
        fields["session_resumption"] = types.SessionResumptionConfig()
    return types.LiveConnectConfig(**fields)


@contextlib.contextmanager
def wav_writer(path: str | None) -> Iterator[wave.Wave_write | None]:
    """A WAV file for 24 kHz 16-bit mono PCM (None without ``path``); closed on every exit."""
    if path is None:
        yield None
        return
    out = wave.open(path, "wb")
    try:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        yield out
    finally:
        out.close()


async def _read_line(prompt: str) -> str | None:
    """One line typed at ``prompt`` (read in a worker thread so the session keeps receiving); None at EOF."""
    try:
        return await asyncio.get_running_loop().run_in_executor(None, input, prompt)
    except EOFError:
        return None


async def cmd_live(args: argparse.Namespace) -> int:
    config = live_config(args)
    async with open_client(args) as client:
        async with client.live.connect(model=args.model, config=config) as session:
            with wav_writer(args.audio_out) as wav:
                out(dim(f"Live session with {args.model}. Type a line; Ctrl-D ends.\n"))
                audio_bytes = 0
                while True:
                    line = await _read_line("you> ")
                    if line is None:
                        out("\n")
                        break
                    if not line.strip():
                        continue
                    out("model> ")
                    await session.send_client_content(turns=line, turn_complete=True)
                    try:
                        async for message in session.receive():
                            audio_bytes += _show(message, wav)
                    except GenAIError as exc:
                        out(f"\n[error] {one_line(exc)}\n")
                        return 1
                    out("\n")
    if args.audio_out:
        seconds = audio_bytes / (2 * SAMPLE_RATE)
        sys.stderr.write(f"genai-async: wrote {seconds:.1f} s of audio to {args.audio_out}\n")
    return 0


def _show(message: types.LiveServerMessage, wav: wave.Wave_write | None) -> int:
    """Print a message's text (or transcription) and write its audio; returns the audio bytes."""
    content = message.server_content
    if content is not None and content.interrupted:
        out(" [interrupted]")
    if message.text:
        out(message.text)
    elif content is not None and content.output_transcription and content.output_transcription.text:
        out(content.output_transcription.text)
    data = message.data
    if data and wav is not None:
        wav.writeframes(data)
        return len(data)
    return 0
