"""Live API, audio: stream 16 kHz microphone-style PCM in, save the spoken 24 kHz answer to a WAV file.

Runs offline on the embedded emulator when GEMINI_API_KEY is not set.
"""

import asyncio
import os
import sys
import tempfile
import wave

import genai_async as genai
from genai_async import types

MODEL = "gemini-2.5-flash-native-audio-preview-09-2025"
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), "answer.wav")


async def talk(client: genai.Client) -> None:
    config = types.LiveConnectConfig(
        response_modalities=["AUDIO"],
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig(),
    )
    question = b"\x00\x00" * 16000  # one second of silence; a real app sends microphone chunks
    async with client.live.connect(model=MODEL, config=config) as session:
        for start in range(0, len(question), 3200):  # 100 ms chunks; send waits if the network is slow
            chunk = question[start : start + 3200]
            await session.send_realtime_input(audio=types.Blob(data=chunk, mime_type="audio/pcm;rate=16000"))
        await session.send_realtime_input(audio_stream_end=True)
        with wave.open(OUT, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)  # 16-bit
            wav.setframerate(24000)
            async for message in session.receive():
                content = message.server_content
                if content and content.input_transcription:
                    print("heard:", content.input_transcription.text)
                if content and content.output_transcription:
                    print(content.output_transcription.text, end="", flush=True)
                if message.data:  # PCM bytes, already base64-decoded
                    wav.writeframes(message.data)
            print(f"\nsaved {wav.getnframes() / 24000:.1f} s of audio to {OUT}")


async def main() -> None:
    if os.environ.get("GEMINI_API_KEY"):
        async with genai.Client() as client:
            await talk(client)
        return
    from genai_async.emulator import running

    async with running() as emu, genai.Client(api_key="offline", base_url=emu.base_url) as client:
        await talk(client)


if __name__ == "__main__":
    asyncio.run(main())
