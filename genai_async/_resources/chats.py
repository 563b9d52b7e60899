"""``client.chats``: conversations that keep their own history (the official SDK's async chat surface).

Design:
- A turn is atomic. The user message enters history only together with a finished model answer, so
  an HTTP error, an in-band error, a truncated stream or a cancellation leave the history exactly as
  it was; the same message can simply be sent again. One exception is deliberate: a stream the
  caller stops reading early ("stop generating": ``break``, ``aclose()``, leaving ``async with``)
  after at least one chunk commits the user message with the output delivered so far, because the
  user saw it and the next turn must see it too.
- With Python functions in ``tools`` (automatic function calling) a turn is the user message, every
  round (the model's call turn and the user turn with the function responses) and the final answer.
- One turn at a time per chat. ``send_message`` calls queue on an ``asyncio.Lock``. A stream does
  *not* hold that lock while the caller iterates: code that sends from inside its own ``async for``
  would deadlock. While a stream is open, other sends raise ``GenAIError`` instead.
- A streamed answer is stored as the stream's stitched final response (one Content per turn, thought
  signatures on their parts), not chunk by chunk. The history rules live in ``_history.py``.
- ``send_message_stream`` returns the same ``ResponseStream`` as ``generate_content_stream``: the
  turn is committed by its completion hook and released by its close hook (which also fires on
  garbage collection). The stream takes the turn when it sends its request, so the request is built
  from the history as it is at that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _afc as afc
from .._afc import has_local_tools
from .._afc_stream import ToolStream
from .._coerce import generate_config, generate_request, model_path
from .._contents import has_paths, load_paths
from ..errors import GenAIError
from ..types import (
    Content,
    ContentUnion,
    ContentUnionDict,
    GenerateContentConfig,
    GenerateContentRequest,
    GenerateContentResponse,
)
from ._history import check_history, curate, model_turn, user_turn

if TYPE_CHECKING:
    from .._client import Client
    from .._streaming import ResponseStream


class Chats:
    """Factory for chats; reached as ``client.chats`` (or ``client.aio.chats``)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        *,
        model: str,
        config: GenerateContentConfig | dict[str, Any] | None = None,
        history: Sequence[Content | Mapping[str, Any]] | None = None,
    ) -> Chat:
        """Start a conversation with ``model``; ``history`` (Contents or dicts) seeds it.

        Not a coroutine, like the official SDK: nothing is sent until the first message. ``config``
        applies to every message unless a message passes its own.
        """
        return Chat(self._client, model=model, config=config, history=history)


class Chat:
    """A conversation with one model; made by ``client.chats.create(...)``.

    History. ``get_history()`` is the *comprehensive* history: every committed turn, each a user
    Content followed by one model Content. A streamed answer is stored as ONE Content, the stitched
    final response of the stream, with thought parts and every thought signature kept on the part
    it came with, so replaying it satisfies Gemini 3's signature checks. ``get_history(curated=True)``
    leaves out each turn whose answer was empty or blocked (prompt blocked, no candidate, no content,
    no parts) together with the user message that caused it. That curated history is what the next
    request sends, like the official SDK. Text streamed before a SAFETY stop counts as an answer.

    Failures. A call that fails (HTTP error, in-band error, truncated stream, a cancellation or any
    exception leaving the ``async with`` block) leaves the history exactly as it was before the call.

    Stop generating. Leaving a ``send_message_stream`` loop early (``break``, ``await
    stream.aclose()``, leaving ``async with`` without an exception, or dropping the stream) after at
    least one chunk
    keeps what was shown: the user message and ONE model Content stitched from the delivered chunks
    (thought signatures kept) enter the history, so the next turn sees the partial answer. Closed
    before any chunk, nothing is committed. With automatic function calling the finished rounds are
    kept too, cut back so the history never ends on a function call without its response.

    Function calling. With Python functions in ``tools`` each round (the model turn with the calls,
    the user turn with the responses) is stored between the user message and the final answer; the
    curated history keeps or drops the whole exchange together.

    Concurrency. ``send_message`` calls on one chat run one after another, in call order. A stream
    holds the turn from the moment it sends its request until it ends, fails or is closed; sending
    anything else on the chat meanwhile raises ``GenAIError`` (waiting would deadlock a caller that
    sends from inside its own ``async for``): finish or close the stream first. A stream that is
    dropped without being closed frees the turn when it is garbage-collected; prefer ``async with``.
    """

    def __init__(
        self,
        client: Client,
        *,
        model: str,
        config: GenerateContentConfig | dict[str, Any] | None = None,
        history: Sequence[Content | Mapping[str, Any]] | None = None,
    ) -> None:
        model_path(model)  # a bad model name fails here, not at the first message
        self._client = client
        self._model = model
        self._config = generate_config(config)
        self._history = check_history(history)
        self._lock = asyncio.Lock()
        self._streaming: object | None = None
        """A token while a stream of this chat holds the turn (cleared when that stream closes)."""

    @property
    def model(self) -> str:
        """The model name this chat talks to, as given to ``chats.create``."""
        return self._model

    @property
    def config(self) -> GenerateContentConfig | None:
        """The chat's default config (used when a message passes none)."""
        return self._config

    def __repr__(self) -> str:
        return f"<genai_async.Chat model={self._model!r} history={len(self._history)} contents>"

    def _repr_markdown_(self) -> str:
        """Notebook display: the comprehensive history, one block per turn."""
        from .._display import history_markdown

        return history_markdown(self._model, self._history)

    def get_history(self, curated: bool = False) -> list[Content]:
        """The conversation so far, oldest first; ``curated=True`` gives what the next request sends.

        A new list each call; the Contents in it are the chat's own, so treat them as read-only.
        """
        return curate(self._history) if curated else list(self._history)

    async def send_message(
        self, message: ContentUnion | ContentUnionDict, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> GenerateContentResponse:
        """Send ``message`` (text, a Part, a list of parts, a dict...) with the history; await the answer.

        ``config``, when given, replaces the chat's config for this call. The turn is added to the
        history only when the answer arrived; any error leaves the history unchanged.
        """
        cfg = self._pick(config)
        user = user_turn(await load_paths(message))
        async with self._lock:
            self._check_idle()
            rounds: list[Content] = []
            if has_local_tools(cfg):
                assert cfg is not None
                response, rounds = await afc.generate(self._client.models, self._model, self._request(user), cfg)
            else:
                response = await self._client.models.generate_content(
                    model=self._model, contents=self._request(user), config=cfg
                )
            self._commit(user, response, rounds)
        return response

    def send_message_stream(
        self, message: ContentUnion | ContentUnionDict, config: GenerateContentConfig | dict[str, Any] | None = None
    ) -> ResponseStream:
        """Stream the answer to ``message``; returns the same stream object as ``generate_content_stream``.

        Use ``async for chunk in await chat.send_message_stream(...)`` (the official SDK's shape) or
        ``async with chat.send_message_stream(...) as stream``. The turn is committed when the stream
        ends complete. Bad input, or a stream of this chat still open, raises here.
        """
        cfg = self._pick(config)
        user = None if has_paths(message) else user_turn(message)
        self._check_idle()
        token = object()
        turn: list[Content] = []

        async def contents() -> list[Content]:
            turn.append(user if user is not None else user_turn(await load_paths(message)))
            async with self._lock:  # after queued send_message calls; the request sees their turns
                self._check_idle()
                self._streaming = token
            return self._request(turn[0])

        def release(completed: bool, stopped: list[Content] | None) -> None:
            if self._streaming is token:
                self._streaming = None
                if stopped:  # "stop generating": the shown output stays in the conversation
                    self._history += (turn[0], *stopped)

        if has_local_tools(cfg):
            assert cfg is not None
            return ToolStream(
                self._client.models,
                self._model,
                cfg,
                contents,
                on_complete=lambda r, rounds: self._commit(turn[0], r, rounds),
                on_close=release,
            )

        async def make_request() -> GenerateContentRequest:
            return generate_request(await contents(), cfg)

        def release_one(completed: bool, stopped: GenerateContentResponse | None) -> None:
            shown = None if stopped is None else model_turn(stopped)
            release(completed, [shown] if shown is not None and shown.parts else None)

        return self._client.models._stream(
            self._model, cfg, make_request, on_complete=lambda r: self._commit(turn[0], r), on_close=release_one
        )

    # ------------------------------------------------------------------ turn bookkeeping

    def _pick(self, config: GenerateContentConfig | dict[str, Any] | None) -> GenerateContentConfig | None:
        return self._config if config is None else generate_config(config)

    def _request(self, user: Content) -> list[Content]:
        return [*curate(self._history), user]

    def _commit(self, user: Content, response: GenerateContentResponse, rounds: Sequence[Content] = ()) -> None:
        self._history += (user, *rounds, model_turn(response))

    def _check_idle(self) -> None:
        if self._streaming is not None:
            raise GenAIError(
                f"chat with {self._model}: a send_message_stream() answer is still open; read it to the "
                "end or close it (async with ..., or await stream.aclose()) before sending another message"
            )


Chat.__module__ = "genai_async"  # public as genai_async.Chat (loaded lazily from there)
