"""``genai-async live`` as a subprocess: text turns, a WAV file of spoken answers, errors."""

from __future__ import annotations

import wave

from .test_cli import run


async def test_live_text_session_on_the_emulator(gemini_emulator) -> None:
    # the unpaced emulator fixture (`live --emulator`, paced at 80 tokens/s, is the audio test's)
    code, out, err = await run(
        "live",
        "--base-url",
        gemini_emulator.base_url,
        "--system",
        "You are a cat. Your name is Neko.",
        stdin=b"Hello there\nI have 3 dogs. How many paws?\n",
    )
    assert code == 0, err
    assert out.count("model> ") == 2
    assert "Meow! I'm Neko" in out and "12 paws" in out


async def test_live_audio_out_writes_a_24khz_wav(tmp_path) -> None:
    path = tmp_path / "answer.wav"
    code, out, err = await run("live", "--emulator", "--audio-out", str(path), "--voice", "Kore", stdin=b"Say hi\n")
    assert code == 0, err
    assert "model> " in out and len(out.split("model> ")[1].strip()) > 20  # the transcription is shown
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        assert wav.getnframes() > 24000 // 10
    assert "s of audio to" in err


async def test_live_against_a_base_url_and_errors(gemini_emulator) -> None:
    code, out, err = await run("live", "--base-url", gemini_emulator.base_url, env={"GEMINI_API_KEY": "k"}, stdin=b"")
    assert code == 0, err
    assert gemini_emulator.live.sessions == 1
    code, out, err = await run(
        "live",
        "--base-url",
        gemini_emulator.base_url,
        "--model",
        "gemini-nope",
        env={"GEMINI_API_KEY": "k"},
        stdin=b"hi\n",
    )
    assert code == 1
    assert "is not found" in err and "Traceback" not in err
    code, out, err = await run("live", stdin=b"hi\n")
    assert code == 2 and "no API key" in err
