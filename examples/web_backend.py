"""A FastAPI backend sharing ONE client: a POST that awaits an answer, a GET that relays a stream as SSE.

pip install fastapi uvicorn
GEMINI_API_KEY=... python examples/web_backend.py      # then: curl -N 'localhost:8000/stream?prompt=Hi'
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

import genai_async as genai

MODEL = "gemini-3.5-flash"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client (one connection pool) for the whole process, opened at startup and closed at shutdown.
    async with genai.Client() as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan)


def client_of(request: Request) -> genai.Client:
    client: genai.Client = request.app.state.client
    return client


class Ask(BaseModel):
    prompt: str


@app.post("/generate")
async def generate(ask: Ask, request: Request) -> dict[str, str | int | None]:
    response = await client_of(request).models.generate_content(model=MODEL, contents=ask.prompt)
    usage = response.usage_metadata
    return {"text": response.text, "total_tokens": usage.total_token_count if usage else None}


@app.exception_handler(genai.GenAIError)
async def upstream_failed(request: Request, exc: genai.GenAIError) -> JSONResponse:
    # Raised before any byte of our answer went out: the browser gets a proper status.
    busy = isinstance(exc, genai.APIError) and exc.code == 429
    return JSONResponse({"error": str(exc)}, status_code=503 if busy else 502)


@app.get("/stream")
async def stream(prompt: str, request: Request) -> StreamingResponse:
    # Awaiting opens the upstream stream: an HTTP error (429, 400...) raises here, before our headers.
    answer = await client_of(request).models.generate_content_stream(model=MODEL, contents=prompt)

    async def events() -> AsyncIterator[str]:
        # When the browser leaves, Starlette cancels this generator at its current await (even while the
        # model is silent); the background task below then closes the upstream stream and its connection.
        try:
            async for chunk in answer:
                yield f"data: {json.dumps({'text': chunk.text or ''})}\n\n"
        except genai.GenAIError as exc:  # after the first chunk: headers are out, so report it in-band
            yield f"event: error\ndata: {json.dumps({'error': str(exc)})}\n\n"
            return
        yield "event: done\ndata: {}\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
        background=BackgroundTask(answer.aclose),  # runs however the response ended, also if never started
    )


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
