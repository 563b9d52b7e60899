"""Stitch the chunks of one streamed answer into one GenerateContentResponse (docs §5.8).

Pure: no I/O, no clock. The stream feeds every decoded chunk to :meth:`Accumulator.add` as it
passes and asks :meth:`Accumulator.result` for the final response (also for the partial response
attached to an error).

Rules, per the wire reference §5.8 (Google ADK's "progressive" aggregation):
- Top level: ``responseId``/``modelVersion`` from the first chunk; a different ``responseId`` later
  is a protocol error. ``promptFeedback``: first non-empty. ``usageMetadata`` and ``modelStatus``:
  last non-empty (usage values are running snapshots, never summed).
- Per candidate ``index``: finish reason, ratings, citations, grounding, logprobs...: last
  non-empty wins.
- Parts in arrival order. Consecutive text parts with the same ``thought`` flag merge into one
  run. A run keeps the first signature it sees; a second, *different* signature starts a new part,
  so no signature is ever dropped or moved to text it did not come with. An empty text part is
  dropped unless it carries a signature, in which case it stays a part of its own. Every other part
  (function calls, inline data, code...) is kept as it came and ends the text run.

Cost: text fragments are appended to a list, every 16 of them joined into one block, and the
blocks joined in :meth:`result`, so stitching is O(total text) however many chunks arrive and holds
one string per 16 chunks.
"""

from __future__ import annotations

import operator
from typing import Any

import msgspec

from .errors import StreamError
from .types import Candidate, Content, GenerateContentRequest, GenerateContentResponse, Part, UsageMetadata

_LAST_WINS = (
    "finish_reason",
    "finish_message",
    "safety_ratings",
    "citation_metadata",
    "token_count",
    "grounding_metadata",
    "grounding_attributions",
    "avg_logprobs",
    "logprobs_result",
    "url_context_metadata",
    "continuation_token",
)
_last_wins = operator.attrgetter(*_LAST_WINS)


MAX_HOPS = 64
"""Continuation hops followed at most for one answer, unary or streamed: the request that got
CONTINUATION 64 times in a row is an error (a server looping on CONTINUATION), not a 65th hop."""


def continuation_token(response: GenerateContentResponse) -> bytes | None:
    """The token to resume a whole (unary) response with: candidate 0 stopped with finishReason
    CONTINUATION and a continuationToken (the same rule as :meth:`Accumulator.continuation`, read
    off one response so a unary answer that needs no hop builds no Accumulator)."""
    first = response.candidates[0] if response.candidates else None
    if first is None or first.finish_reason != "CONTINUATION":
        return None
    return first.continuation_token


def hop_request(request: GenerateContentRequest, token: bytes) -> GenerateContentRequest:
    """The request of the next continuation hop: the same request, carrying ``token``."""
    return msgspec.structs.replace(request, continuation_token=token)


_BLOCK = 16
"""Text fragments of a run are joined into one string every this many (memory: one str header per
block instead of one per chunk, while each character is still copied only twice in all)."""


class _Run:
    """An open run of text fragments that will become one Part."""

    __slots__ = ("thought", "signature", "fragments", "joined")

    def __init__(self, thought: bool, signature: bytes | None, text: str) -> None:
        self.thought = thought
        self.signature = signature
        self.fragments = [text]
        self.joined = 0  # fragments[:joined] are blocks, the rest single chunks

    def append(self, text: str) -> None:
        fragments = self.fragments
        fragments.append(text)
        if len(fragments) - self.joined >= _BLOCK:  # join the single chunks into one more block
            fragments[self.joined :] = ["".join(fragments[self.joined :])]
            self.joined += 1

    def part(self) -> Part:
        text = "".join(self.fragments)
        self.fragments = [text]  # the run and the Part share one string; the fragments can go
        self.joined = 1
        return Part(
            text=text,
            thought=True if self.thought else None,
            thought_signature=self.signature,
        )


class _CandidateState:
    __slots__ = ("index", "role", "has_content", "items", "run", "fields")

    def __init__(self, index: int | None) -> None:
        self.index = index
        self.role: str | None = None
        self.has_content = False
        self.items: list[_Run | Part] = []
        self.run: _Run | None = None
        self.fields: dict[str, Any] = {}

    def add(self, cand: Candidate) -> None:
        content = cand.content
        if content is not None:
            self.has_content = True
            if content.role:
                self.role = content.role
            parts = content.parts
            if parts:
                run = self.run
                for part in parts:
                    text = part.text
                    if (
                        text
                        and run is not None
                        and part.thought_signature is None
                        and run.thought is (part.thought or False)
                    ):
                        run.append(text)  # the usual delta: more text for the open run
                    else:
                        self._add_part(part)
                        run = self.run
        if not (  # most chunks carry none of _LAST_WINS; the slot loads written out cost a quarter of _last_wins()
            cand.finish_reason is None
            and cand.finish_message is None
            and cand.safety_ratings is None
            and cand.citation_metadata is None
            and cand.token_count is None
            and cand.grounding_metadata is None
            and cand.grounding_attributions is None
            and cand.avg_logprobs is None
            and cand.logprobs_result is None
            and cand.url_context_metadata is None
            and cand.continuation_token is None
        ):
            for name, value in zip(_LAST_WINS, _last_wins(cand), strict=True):
                if value is not None:
                    self.fields[name] = value

    def _add_part(self, part: Part) -> None:
        text = part.text
        if text is None:
            self.run = None
            self.items.append(part)
            return
        signature = part.thought_signature
        if not text:
            if signature is not None:
                self.run = None
                self.items.append(part)
            return
        thought = bool(part.thought)
        run = self.run
        if (
            run is not None
            and run.thought is thought
            and (signature is None or run.signature is None or run.signature == signature)
        ):
            run.append(text)
            if run.signature is None:
                run.signature = signature
            return
        run = self.run = _Run(thought, signature, text)
        self.items.append(run)

    def candidate(self) -> Candidate:
        content = None
        if self.has_content:
            parts = [item.part() if isinstance(item, _Run) else item for item in self.items]
            content = Content(role=self.role or "model", parts=parts or None)
        return Candidate(content=content, index=self.index, **self.fields)


class Accumulator:
    """Collects streamed chunks; :meth:`result` gives the stitched response so far."""

    __slots__ = (
        "count",
        "hops",
        "_response_id",
        "_hop_id",
        "_model_version",
        "_prompt_feedback",
        "_usage",
        "_usage_base",
        "_status",
        "_cands",
    )

    def __init__(self) -> None:
        self.count = 0
        self.hops = 0  # continuation hops started (next_hop)
        self._response_id: str | None = None
        self._hop_id: str | None = None
        self._usage_base: UsageMetadata | None = None
        self._model_version: str | None = None
        self._prompt_feedback: Any = None
        self._usage: Any = None
        self._status: Any = None
        self._cands: dict[int, _CandidateState] = {}

    def add(self, chunk: GenerateContentResponse) -> None:
        """Fold one chunk in; raises StreamError if it belongs to another response."""
        rid = chunk.response_id
        if rid is not None and rid != self._hop_id:
            self._first_response_id(rid)
        self.count += 1
        if self._model_version is None:
            self._model_version = chunk.model_version
        if chunk.usage_metadata is not None:
            self._usage = chunk.usage_metadata
        if chunk.prompt_feedback is not None and self._prompt_feedback is None:
            self._prompt_feedback = chunk.prompt_feedback
        if chunk.model_status is not None:
            self._status = chunk.model_status
        if chunk.candidates:
            cands = self._cands
            for cand in chunk.candidates:
                state = cands.get(cand.index or 0)
                if state is None:
                    state = cands[cand.index or 0] = _CandidateState(cand.index)
                state.add(cand)

    def _first_response_id(self, rid: str) -> None:
        """The first responseId of this hop; a second, different one is a protocol error."""
        if self._hop_id is not None:
            raise StreamError(
                f"chunk {self.count + 1} has responseId {rid!r} but the stream started with "
                f"{self._hop_id!r}: the server mixed two responses",
                partial=self.result(),
            )
        self._hop_id = rid
        if self._response_id is None:
            self._response_id = rid

    def continuation(self) -> bytes | None:
        """The token to resume with when candidate 0 stopped with finishReason CONTINUATION."""
        state = self._cands.get(0)
        if state is None or state.fields.get("finish_reason") != "CONTINUATION":
            return None
        token: bytes | None = state.fields.get("continuation_token")
        return token

    def next_hop(self, endpoint: str) -> None:
        """Start a continuation hop: it may carry a new responseId, its usage adds to the earlier
        hops' (each hop is a request of its own), and text runs go on where they stopped. Only the
        candidates that stopped with CONTINUATION are reopened; one that finished keeps its reason.
        Raises StreamError (naming ``endpoint``) instead of starting hop ``MAX_HOPS + 1``."""
        if self.hops >= MAX_HOPS:
            raise StreamError(f"{endpoint}: still CONTINUATION after {MAX_HOPS} hops; giving up")
        self.hops += 1
        if self._usage is not None:
            self._usage_base = add_usage(self._usage_base, self._usage)
        self._usage = None
        self._hop_id = None
        for state in self._cands.values():
            if state.fields.get("finish_reason") == "CONTINUATION":
                del state.fields["finish_reason"]
                state.fields.pop("continuation_token", None)

    @property
    def unfinished(self) -> list[int]:
        """Indexes of candidates that have no finishReason yet."""
        return [k for k, s in self._cands.items() if s.fields.get("finish_reason") is None]

    @property
    def blocked(self) -> bool:
        """True when the prompt was blocked (promptFeedback.blockReason set)."""
        return self._prompt_feedback is not None and self._prompt_feedback.block_reason is not None

    def result(self) -> GenerateContentResponse:
        """The stitched response of every chunk added so far."""
        cands = [self._cands[k].candidate() for k in sorted(self._cands)]
        return GenerateContentResponse(
            candidates=cands or None,
            prompt_feedback=self._prompt_feedback,
            usage_metadata=self._usage if self._usage_base is None else add_usage(self._usage_base, self._usage),
            model_version=self._model_version,
            response_id=self._response_id,
            model_status=self._status,
        )


_COUNTS = (
    "prompt_token_count",
    "cached_content_token_count",
    "candidates_token_count",
    "thoughts_token_count",
    "tool_use_prompt_token_count",
    "total_token_count",
)


def add_usage(base: UsageMetadata | None, more: UsageMetadata | None) -> UsageMetadata | None:
    """Usage of two requests added up (counts summed; detail lists and tier from the later one)."""
    if base is None or more is None:
        return more if base is None else base
    sums = {name: (getattr(base, name) or 0) + (getattr(more, name) or 0) for name in _COUNTS}
    return msgspec.structs.replace(more, **{k: v for k, v in sums.items() if v or getattr(more, k) is not None})
