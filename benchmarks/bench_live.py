"""Live API receive path: messages/s and CPU per received message, against a raw aiohttp floor.

A loopback WebSocket server in its own process answers ``setup`` with ``setupComplete`` and each
client turn with N precomputed frames, back to back, then ``turnComplete``. Two shapes:

- ``text``:  a long text answer, one ~90-byte ``serverContent.modelTurn`` text frame per message;
- ``audio``: 24 kHz PCM answer frames (``inlineData``, 9,600 bytes of audio = 200 ms, ~12.8 KB base64).

Clients, each measured in a fresh child process (CPU by ``time.process_time`` around the receive loop
only, after a warm-up turn; the server's CPU is in another process and not counted):

- ``floor_receive``: raw ``aiohttp`` ``ws.receive()`` of every frame, payload untouched (the floor);
- ``floor_decoded``: the same plus ``json.loads`` of each frame and ``base64.b64decode`` of its audio
  (the least any client must do to hand out the text and the audio bytes);
- ``genai_async``:   ``session.receive()`` yielding typed ``LiveServerMessage`` (msgspec, audio bytes
  base64-decoded once, resumption bookkeeping);
- ``google_genai``:  the official SDK's ``client.aio.live.connect`` + ``session.receive()``, when it is
  installed. It only speaks ``wss://``, so it runs over TLS (self-signed, tests/fixtures/live_tls) and is
  compared with ``floor_receive_tls``, the raw floor over the same TLS.

Target: genai_async <= 1.5x floor_receive CPU per message. For audio no client can get there: the
base64 decoding of the audio alone costs more than the read (see ``floor_decoded``). The printed table has the median of
``--rounds`` runs. Usage: python benchmarks/bench_live.py [--messages 20000] [--rounds 3] [--shapes text,audio]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import multiprocessing as mp
import ssl
import statistics
import sys
import time
from array import array
from pathlib import Path
from typing import Any

TLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "live_tls"
MODEL = "gemini-live-2.5-flash-preview"
TEXT = "The key point is that small, well-defined steps add up"


def frames(shape: str, count: int) -> list[bytes]:
    if shape == "text":
        one = json.dumps({"serverContent": {"modelTurn": {"parts": [{"text": TEXT}]}}}).encode()
    else:
        wave = array("h", (round(8000 * math.sin(2 * math.pi * i / 60)) for i in range(4800)))
        data = base64.b64encode(wave.tobytes()).decode()
        part = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": data}}
        one = json.dumps({"serverContent": {"modelTurn": {"parts": [part]}}}).encode()
    end = json.dumps({"serverContent": {"turnComplete": True}}).encode()
    return [one] * count + [end]


# ----------------------------------------------------------------------------------------- server


def serve(shape: str, count: int, tls: bool, port_out: Any) -> None:
    from aiohttp import web

    body = frames(shape, count)

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        await ws.receive()  # setup
        await ws.send_bytes(b'{"setupComplete": {}}')
        async for msg in ws:
            if msg.type not in (web.WSMsgType.TEXT, web.WSMsgType.BINARY):
                break
            for frame in body:
                await ws.send_bytes(frame)
        return ws

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ctx = None
        if tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


# ----------------------------------------------------------------------------------------- clients

QUESTION = json.dumps({"clientContent": {"turns": [{"role": "user", "parts": [{"text": "go"}]}], "turnComplete": True}})
SETUP = json.dumps({"setup": {"model": f"models/{MODEL}"}})


async def raw_turns(url: str, turns: int, parse: bool, tls: bool) -> tuple[int, float, float]:
    import aiohttp

    ssl_arg: Any = ssl.create_default_context(cafile=str(TLS / "cert.pem")) if tls else None
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0, ssl=ssl_arg) as ws:
        await ws.send_str(SETUP)
        await ws.receive()
        received, cpu, wall = 0, 0.0, 0.0
        for turn in range(turns + 1):  # turn 0 warms up
            c0, w0 = time.process_time(), time.perf_counter()
            await ws.send_str(QUESTION)
            n = 0
            while True:
                msg = await ws.receive()
                n += 1
                if parse:
                    decoded = json.loads(msg.data)
                    for part in decoded.get("serverContent", {}).get("modelTurn", {}).get("parts", ()):
                        if "inlineData" in part:
                            base64.b64decode(part["inlineData"]["data"])
                if len(msg.data) < 64 and b"turnComplete" in msg.data:
                    break
            if turn:
                received += n
                cpu += time.process_time() - c0
                wall += time.perf_counter() - w0
        return received, cpu, wall


async def ours_turns(base_url: str, turns: int) -> tuple[int, float, float]:
    import genai_async

    async with genai_async.Client(api_key="k", base_url=base_url) as client:
        async with client.live.connect(model=MODEL) as session:
            received, cpu, wall = 0, 0.0, 0.0
            for turn in range(turns + 1):
                c0, w0 = time.process_time(), time.perf_counter()
                await session.send_client_content(turns="go", turn_complete=True)
                n = 0
                async for message in session.receive():
                    n += 1
                    message.data  # noqa: B018 - what an audio consumer reads
                if turn:
                    received += n
                    cpu += time.process_time() - c0
                    wall += time.perf_counter() - w0
            return received, cpu, wall


async def sdk_turns(base_url: str, turns: int) -> tuple[int, float, float]:
    import warnings

    warnings.simplefilter("ignore")
    from google import genai
    from google.genai import types

    ctx = ssl.create_default_context(cafile=str(TLS / "cert.pem"))
    options = types.HttpOptions(base_url=base_url, async_client_args={"ssl": ctx})
    client = genai.Client(api_key="k", http_options=options)
    async with client.aio.live.connect(model=MODEL) as session:
        received, cpu, wall = 0, 0.0, 0.0
        for turn in range(turns + 1):
            c0, w0 = time.process_time(), time.perf_counter()
            await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="go")]))
            n = 0
            async for message in session.receive():
                n += 1
                message.data  # noqa: B018
            if turn:
                received += n
                cpu += time.process_time() - c0
                wall += time.perf_counter() - w0
        return received, cpu, wall


def measure(client: str, port: int, turns: int, out: Any) -> None:
    tls = client in ("google_genai", "floor_receive_tls")
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    path = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}{path}"
    if client == "genai_async":
        result = asyncio.run(ours_turns(base, turns))
    elif client == "google_genai":
        result = asyncio.run(sdk_turns(base, turns))
    else:
        result = asyncio.run(raw_turns(url, turns, parse=client == "floor_decoded", tls=tls))
    out.put(result)


# ----------------------------------------------------------------------------------------- driver


def run_once(client: str, port: int, turns: int) -> tuple[int, float, float] | None:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=measure, args=(client, port, turns, out))
    child.start()
    child.join(600)
    if child.exitcode != 0:
        return None
    result: tuple[int, float, float] = out.get()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000, help="messages per measured shape (split in turns)")
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shapes", default="text,audio")
    parser.add_argument("--clients", default="floor_receive,floor_decoded,genai_async,floor_receive_tls,google_genai")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    rows = []
    for shape in args.shapes.split(","):
        count = args.messages // args.turns if shape == "text" else args.messages // (4 * args.turns)
        servers = {}
        for tls in (False, True):
            ports = ctx.Queue()
            proc = ctx.Process(target=serve, args=(shape, count, tls, ports), daemon=True)
            proc.start()
            servers[tls] = (proc, ports.get(timeout=30))
        try:
            for client in args.clients.split(","):
                tls = client in ("google_genai", "floor_receive_tls")
                runs = [run_once(client, servers[tls][1], args.turns) for _ in range(args.rounds)]
                good = [r for r in runs if r is not None]
                if not good:
                    rows.append((shape, client, None, None))
                    continue
                per_msg = statistics.median(r[1] / r[0] * 1e6 for r in good)
                rate = statistics.median(r[0] / r[2] for r in good)
                rows.append((shape, client, per_msg, rate))
        finally:
            for proc, _ in servers.values():
                proc.kill()
    floors = {(s, c): v for s, c, v, _ in rows if c.startswith("floor_receive")}
    print(f"{'shape':6} {'client':18} {'CPU µs/msg':>11} {'x floor':>8} {'msgs/s':>10}")
    for shape, client, per_msg, rate in rows:
        if per_msg is None:
            print(f"{shape:6} {client:18} {'n/a':>11}")
            continue
        over_tls = client in ("google_genai", "floor_receive_tls")
        floor = floors.get((shape, "floor_receive_tls" if over_tls else "floor_receive"))
        ratio = f"{per_msg / floor:.2f}x" if floor else ""
        print(f"{shape:6} {client:18} {per_msg:11.1f} {ratio:>8} {rate:10.0f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
