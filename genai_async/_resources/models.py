"""``client.models``: generateContent and streamGenerateContent (more model methods join later)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._codec import encode
from .._coerce import generate_config, generate_request, has_paths, load_paths, model_path, parse_output
from .._options import with_overrides
from .._streaming import ResponseStream
from ..types import GenerateContentConfig, GenerateContentResponse

if TYPE_CHECKING:
    from .._client import Client
    from .._transport import Response


def finalize(response: GenerateContentResponse, config: GenerateContentConfig | None) -> None:
    """Fill ``response.parsed`` when the config asked for JSON / enum output."""
    if config is not None and config.response_mime_type:
        response.parsed = parse_output(response.text, config)


class Models:
    """Model methods; reached as ``client.models`` (or ``client.aio.models``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def generate_content(
        self, *, model: str, contents: Any, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> GenerateContentResponse:
        """Generate one complete answer (``models/{m}:generateContent``)."""
        cfg = generate_config(config)
        path = f"{model_path(model)}:generateContent"
        request = generate_request(await load_paths(contents), cfg)
        result = await self._client._call(
            "POST", path, GenerateContentResponse, body=request, http_options=cfg and cfg.http_options
        )
        finalize(result, cfg)
        return result

    def generate_content_stream(
        self, *, model: str, contents: Any, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> ResponseStream:
        """Stream an answer (``models/{m}:streamGenerateContent?alt=sse``).

        Returns one object: ``await`` it, ``async for`` over it, or ``async with`` it. Bad input
        raises here, before any request is sent.
        """
        cfg = generate_config(config)
        path = f"{model_path(model)}:streamGenerateContent"
        body = None if has_paths(contents) else encode(generate_request(contents, cfg))
        settings = with_overrides(self._client._settings, cfg and cfg.http_options)

        async def opener() -> Response:
            nonlocal body
            if body is None:  # contents hold files to read: done here, off the event loop
                body = encode(generate_request(await load_paths(contents), cfg))
            return await self._client._send(
                "POST", path, body=body, settings=settings, endpoint=path, stream=True, params={"alt": "sse"}
            )

        return ResponseStream(opener, endpoint=path, finalize=lambda r: finalize(r, cfg))
