"""``client.models``: generate (unary and streamed), count tokens, embed, list and get models.

Every method checks its input before sending anything, so bad input is a ConfigurationError and no
request. Two choices differ from the official SDK: ``count_tokens`` sends ``system_instruction``,
``tools`` and ``generation_config`` in the documented ``generateContentRequest`` form (the SDK
refuses them), and ``embed_content`` rejects a ``title`` without task type ``RETRIEVAL_DOCUMENT``
before the API does. Like the SDK, ``embed_content`` always uses ``:batchEmbedContents``: one request
per input, answers in input order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _afc as afc
from .._accumulate import Accumulator, continuation_token, hop_request
from .._afc import has_local_tools
from .._codec import decode, encode
from .._coerce import generate_config, generate_request, http_options_only, model_path, parse_output, wire_thinking
from .._contents import has_paths, load_paths, to_content, to_contents
from .._normalize import to_struct
from .._options import with_overrides
from .._pager import Pager, paged
from .._request import Request
from .._streaming import ResponseStream
from ..errors import ConfigurationError, GenAIError, StreamError
from ..types import (
    ContentListUnion,
    ContentListUnionDict,
    CountTokensConfig,
    CountTokensResponse,
    EmbedContentConfig,
    EmbedContentResponse,
    GenerateContentConfig,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    ListModelsConfig,
    ListModelsResponse,
    Model,
)
from ..types._requests import _BatchEmbedContentsRequest, _CountTokensRequest, _EmbedContentRequest

if TYPE_CHECKING:
    from .._client import Client
    from .._transport import Response

T = TypeVar("T")
P = TypeVar("P")


def finalize(response: GenerateContentResponse, config: GenerateContentConfig | None) -> None:
    """Fill ``response.parsed`` (and ``parse_error``) when the config asked for JSON / enum output;
    never raises, so a chat still stores the turn and a stream still ends cleanly."""
    if config is not None and config.response_mime_type:
        response.parsed, response.parse_error = parse_output(response.text, config)


def _follow(cfg: GenerateContentConfig | None) -> bool:
    return cfg is None or (cfg.auto_continue is not False and cfg.automatic_continuation is not False)


class _StreamCall:
    """Everything one streamed call needs to open, retry and follow continuations.

    The stream calls the methods of this one object (no closures per stream: less memory when
    thousands of streams are open). It keeps the request encoded once, in one frozen
    :class:`Request`: retries resend the same object, and a continuation hop (rare) decodes its
    body to add the token and makes the hop's Request.
    """

    __slots__ = ("client", "path", "settings", "cfg", "request", "make_request", "on_complete")

    def __init__(
        self,
        client: Client,
        model: str,
        cfg: GenerateContentConfig | None,
        request: GenerateContentRequest | Callable[[], Awaitable[GenerateContentRequest]],
        on_complete: Callable[[GenerateContentResponse], Any] | None = None,
    ) -> None:
        self.client = client
        self.path = f"{model_path(model)}:streamGenerateContent"
        self.settings = with_overrides(client._settings, cfg and cfg.http_options)
        self.cfg = cfg
        self.request: Request | None = None  # the frozen HTTP request, once its body is known
        self.make_request: Callable[[], Awaitable[GenerateContentRequest]] | None = None
        if isinstance(request, GenerateContentRequest):
            self.request = self._http(encode(request))
        else:
            self.make_request = request
        self.on_complete = on_complete

    def stream(self, on_close: Callable[[bool, GenerateContentResponse | None], Any] | None = None) -> ResponseStream:
        return ResponseStream(self, endpoint=self.path, on_close=on_close)

    def _http(self, body: bytes) -> Request:
        # the query as a plain string: aiohttp builds no query from a params dict
        path = f"{self.path}?alt=sse"
        return Request("POST", path, endpoint=self.path, settings=self.settings, body=body, stream=True)

    async def open(self) -> Response:
        """Send the request (the first, a retry, or the current continuation hop): one attempt,
        because the stream owns one retry budget for opening and restarting."""
        request = self.request
        if request is None:
            assert self.make_request is not None
            request = self.request = self._http(encode(await self.make_request()))
        return await self.client._attempt(request)

    def continue_with(self, token: bytes) -> bool:
        """Point :meth:`open` at the continuation hop that carries ``token``; False if the caller
        opted out of following continuations."""
        if not _follow(self.cfg) or self.request is None:
            return False
        self.request = self._http(encode(hop_request(decode(self.request.body, GenerateContentRequest), token)))
        return True

    def retry(self, exc: GenAIError, attempt: int) -> float | None:
        # (no request yet: make_request() failed, e.g. a chat refusing a second open stream; the
        # rule still decides, on the request that would have been sent)
        request = self.request if self.request is not None else self._http(b"")
        return self.client._retry_delay(request, exc, attempt)

    def complete(self, response: GenerateContentResponse) -> None:
        finalize(response, self.cfg)
        if self.on_complete is not None:
            self.on_complete(response)


class Models:
    """Model methods; reached as ``client.models`` (or ``client.aio.models``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def generate_content(
        self,
        *,
        model: str,
        contents: ContentListUnion | ContentListUnionDict,
        config: GenerateContentConfig | dict[str, Any] | None = None,
    ) -> GenerateContentResponse:
        """Generate one complete answer (``models/{m}:generateContent``).

        With Python functions (or an ``mcp.ClientSession``) in ``config.tools`` the model's calls are
        made for it until it answers without one (automatic function calling; see
        ``AutomaticFunctionCallingConfig``); ``response.automatic_function_calling_history`` holds the rounds.
        """
        cfg = generate_config(config)
        if has_paths(contents):
            contents = await load_paths(contents)
        if has_local_tools(cfg):
            assert cfg is not None
            response, _ = await afc.generate(self, model, contents, cfg)
            return response
        return await self._generate(model, generate_request(contents, cfg), cfg)

    async def _generate(
        self, model: str, request: GenerateContentRequest, cfg: GenerateContentConfig | None
    ) -> GenerateContentResponse:
        """One request, its CONTINUATION hops followed, ``parsed`` filled."""
        path = f"{model_path(model)}:generateContent"
        http_options = cfg and cfg.http_options
        call = self._client._call
        result = await call("POST", path, GenerateContentResponse, body=request, http_options=http_options)
        if _follow(cfg) and continuation_token(result) is not None:
            acc = Accumulator()
            acc.add(result)
            while (token := acc.continuation()) is not None:
                acc.next_hop(path)  # (raises past MAX_HOPS)
                hop = hop_request(request, token)
                acc.add(await call("POST", path, GenerateContentResponse, body=hop, http_options=http_options))
            result = acc.result()
        finalize(result, cfg)
        return result

    def generate_content_stream(
        self,
        *,
        model: str,
        contents: ContentListUnion | ContentListUnionDict,
        config: GenerateContentConfig | dict[str, Any] | None = None,
    ) -> ResponseStream:
        """Stream an answer (``models/{m}:streamGenerateContent?alt=sse``).

        Returns one object: ``await`` it, ``async for`` over it, or ``async with`` it. Bad input
        raises here, before any request is sent. An answer that stops with finishReason
        CONTINUATION is followed seamlessly unless ``config.auto_continue`` is False. With Python
        functions in ``config.tools`` the model's calls are made between rounds and the stream yields
        the chunks of every round; ``.response`` is the final answer, with its
        ``automatic_function_calling_history``.
        """
        cfg = generate_config(config)
        if has_local_tools(cfg):
            assert cfg is not None
            from .._afc_stream import ToolStream

            async def read_contents() -> Any:
                return await load_paths(contents)

            return ToolStream(self, model, cfg, read_contents)
        if not has_paths(contents):
            return _StreamCall(self._client, model, cfg, generate_request(contents, cfg)).stream()

        async def make_request() -> GenerateContentRequest:  # files are read when the stream opens
            return generate_request(await load_paths(contents), cfg)

        return _StreamCall(self._client, model, cfg, make_request).stream()

    def _stream_request(
        self, model: str, cfg: GenerateContentConfig | None, request: GenerateContentRequest
    ) -> ResponseStream:
        """One streamed request (a round of automatic function calling)."""
        return _StreamCall(self._client, model, cfg, request).stream()

    def _stream(
        self,
        model: str,
        cfg: GenerateContentConfig | None,
        make_request: Callable[[], Awaitable[GenerateContentRequest]],
        *,
        on_complete: Callable[[GenerateContentResponse], Any] | None = None,
        on_close: Callable[[bool, GenerateContentResponse | None], Any] | None = None,
    ) -> ResponseStream:
        """The stream behind chats: ``make_request`` runs once, when the stream opens."""
        return _StreamCall(self._client, model, cfg, make_request, on_complete).stream(on_close)

    async def count_tokens(
        self,
        *,
        model: str,
        contents: ContentListUnion | ContentListUnionDict,
        config: CountTokensConfig | dict[str, Any] | None = None,
    ) -> CountTokensResponse:
        """Count the tokens a prompt would use (``models/{m}:countTokens``).

        With ``system_instruction``, ``tools`` or ``generation_config`` in the config, the whole
        request is counted through the API's ``generateContentRequest`` form. Python functions in
        ``tools`` are declared as ``generate_content`` declares them (the official SDK refuses tools here).
        """
        path = f"{model_path(model)}:countTokens"
        cfg = None if config is None else to_struct(config, CountTokensConfig)
        turns = to_contents(await load_paths(contents))
        body = _CountTokensRequest(contents=turns)
        if cfg is not None and (cfg.system_instruction is not None or cfg.tools or cfg.generation_config):
            system = cfg.system_instruction
            body = _CountTokensRequest(
                generate_content_request=GenerateContentRequest(
                    model=model_path(model),
                    contents=turns,
                    system_instruction=None if system is None else to_content(system, "config.system_instruction"),
                    tools=await afc.declared_tools(cfg.tools),
                    generation_config=_upper_thinking_level(cfg.generation_config),
                )
            )
        return await self._client._call(
            "POST", path, CountTokensResponse, body=body, http_options=cfg and cfg.http_options
        )

    async def embed_content(
        self,
        *,
        model: str,
        contents: ContentListUnion | ContentListUnionDict,
        config: EmbedContentConfig | dict[str, Any] | None = None,
    ) -> EmbedContentResponse:
        """Embed each input (a str, a Part, a Content, or a list of them) into one vector each.

        Sent as ``models/{m}:batchEmbedContents``; ``response.embeddings`` follows the input order.
        """
        name = model_path(model)
        cfg = _embed_config(config)
        requests = [
            _EmbedContentRequest(
                model=name,
                content=content,
                task_type=cfg.task_type,
                title=cfg.title,
                output_dimensionality=cfg.output_dimensionality,
            )
            for content in _embed_inputs(await load_paths(contents))
        ]
        path = f"{name}:batchEmbedContents"
        result = await self._client._call(
            "POST",
            path,
            EmbedContentResponse,
            body=_BatchEmbedContentsRequest(requests=requests),
            http_options=cfg.http_options,
        )
        got = len(result.embeddings or ())
        if got != len(requests):
            raise StreamError(f"{path}: sent {len(requests)} inputs but got {got} embeddings back")
        return result

    def list(self, *, config: ListModelsConfig | dict[str, Any] | None = None) -> Pager[Model]:
        """Every model the key can use, fetched page by page (``GET models``).

        Not a coroutine: ``async for m in client.models.list()`` walks all pages, and ``await`` gives
        the pager with its first page loaded (the official SDK's shape).
        """
        return paged(
            self._client,
            "models",
            ListModelsResponse,
            lambda page: page.models,
            config=config,
            config_type=ListModelsConfig,
            name="models.list",
        )

    async def get(self, *, model: str, config: Any = None) -> Model:
        """One model's limits, defaults and supported methods (``GET models/{m}``).

        ``config`` may carry only ``http_options``.
        """
        path = model_path(model)
        return await self._client._call("GET", path, Model, http_options=http_options_only(config, "config"))


def _upper_thinking_level(gen: GenerationConfig | None) -> GenerationConfig | None:
    """Upper-case ``thinking_level`` as generate_content does; ``gen`` is to_struct's own copy."""
    if gen is not None and gen.thinking_config is not None:
        gen.thinking_config = wire_thinking(gen.thinking_config)
    return gen


def _embed_config(config: Any) -> EmbedContentConfig:
    """The embed config, checked: task type upper-cased, title only for RETRIEVAL_DOCUMENT."""
    cfg = to_struct(config or {}, EmbedContentConfig)
    task = cfg.task_type = cfg.task_type.upper() if cfg.task_type is not None else None
    if cfg.title is not None and task != "RETRIEVAL_DOCUMENT":
        raise ConfigurationError(
            f"config.title is only allowed with task_type='RETRIEVAL_DOCUMENT' (got task_type={task!r}); "
            "set that task type or drop the title"
        )
    dims = cfg.output_dimensionality
    if dims is not None and dims <= 0:
        raise ConfigurationError(f"config.output_dimensionality must be a positive int, got {dims!r}")
    return cfg


def _embed_inputs(contents: Any) -> list[Any]:
    """One Content per input: each element of a list is embedded separately, as in the official SDK."""
    if contents is None or contents == "" or (isinstance(contents, (list, tuple)) and not contents):
        raise ConfigurationError("contents is empty; pass a string, a list of strings, parts or Content turns")
    if isinstance(contents, (list, tuple)):
        return [to_content(item, f"contents[{i}]") for i, item in enumerate(contents)]
    return [to_content(contents, "contents")]
