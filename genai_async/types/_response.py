"""The generateContent response and its candidates (docs/gemini-rest.md §4.1, §4.2).

A stream yields one ``GenerateContentResponse`` per event, so the convenience properties
(``text``, ``thoughts``, ``function_calls``) run once per chunk: they loop over the first candidate's
parts, allocate nothing when one part matches (the part's own string is returned), and never warn.
"""

from typing import Any

from ..errors import ParseError
from ._base import _Base
from ._content import Content, FunctionCall, Part
from ._enums import BlockReason, FinishReason
from ._metadata import (
    CitationMetadata,
    GroundingMetadata,
    LogprobsResult,
    SafetyRating,
    UrlContextMetadata,
    UsageMetadata,
)


class Candidate(_Base):
    """One generated answer."""

    content: Content | None = None
    """Absent when the candidate was blocked; may have no ``parts`` (e.g. MAX_TOKENS while thinking)."""
    finish_reason: FinishReason | None = None
    """Absent until the candidate is finished; in a stream only the last event carries it."""
    finish_message: str | None = None
    """Human-readable detail about ``finish_reason``."""
    index: int | None = None
    """0-based; a missing index means 0."""
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: CitationMetadata | None = None
    token_count: int | None = None
    grounding_metadata: GroundingMetadata | None = None
    grounding_attributions: list[Any] | None = None
    """Only for the AQA ``generateAnswer`` method."""
    avg_logprobs: float | None = None
    logprobs_result: LogprobsResult | None = None
    url_context_metadata: UrlContextMetadata | None = None
    continuation_token: bytes | None = None
    """With ``FinishReason.CONTINUATION``: pass to the next request to resume."""


class PromptFeedback(_Base):
    """Why the prompt was blocked; when it is set there are no candidates."""

    block_reason: BlockReason | None = None
    block_reason_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None


class ModelStatus(_Base):
    """Lifecycle status of the model that answered."""

    model_stage: str | None = None
    """E.g. ``PREVIEW``, ``STABLE``, ``DEPRECATED``, ``RETIRED``."""
    retirement_time: str | None = None
    """RFC 3339 timestamp."""
    message: str | None = None


class GenerateContentResponse(_Base, gc=True, dict=True):
    """A ``generate_content`` result, or one event of ``generate_content_stream``.

    ``parsed`` and ``parse_error`` are set by the client, not read from the wire, and kept outside
    the Struct's fields (in its ``__dict__``, hence ``dict=True``): encoding a response never
    writes them, so ``msgspec.json.encode(response)`` works whatever ``parsed`` holds.
    """

    candidates: list[Candidate] | None = None
    """Absent when the prompt was blocked (see ``prompt_feedback``)."""
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    """E.g. ``"gemini-3.5-flash"`` (no ``models/`` prefix)."""
    response_id: str | None = None
    """The same on every event of one stream."""
    model_status: ModelStatus | None = None
    create_time: str | None = None
    """Vertex AI only."""
    automatic_function_calling_history: list[Content] | None = None
    """With automatic function calling: the request's contents, then each model turn that called
    functions and the user turn answering it, oldest first (the final answer is not in it). Set by the
    client, never on the wire."""

    @property
    def parsed(self) -> Any:
        """The output parsed into ``config.response_schema`` (JSON / enum output), else None.

        None also when the output did not parse; ``parse_error`` then says why."""
        return self.__dict__.get("_parsed")

    @parsed.setter
    def parsed(self, value: Any) -> None:
        self.__dict__["_parsed"] = value

    @property
    def parse_error(self) -> ParseError | None:
        """Why ``parsed`` is None although structured output was asked for (no text, not JSON, or
        JSON that does not fit the schema); None when it parsed or none was asked for."""
        return self.__dict__.get("_parse_error")

    @parse_error.setter
    def parse_error(self, value: ParseError | None) -> None:
        self.__dict__["_parse_error"] = value

    def _repr_markdown_(self) -> str:
        """Notebook display: the answer as Markdown, thoughts collapsed, images shown, usage in one line."""
        from .._display import response_markdown  # only in notebooks

        return response_markdown(self)

    def _first_parts(self) -> list[Part] | None:
        candidates = self.candidates
        if not candidates:
            return None
        content = candidates[0].content
        return None if content is None else content.parts

    @property
    def text(self) -> str | None:
        """The first candidate's non-thought text parts joined; ``None`` when it has no text part."""
        candidates = self.candidates  # _first_parts() written out: this runs once per streamed chunk
        if not candidates:
            return None
        content = candidates[0].content
        parts = None if content is None else content.parts
        if parts is None:
            return None
        if len(parts) == 1:  # the usual streamed chunk: no list, no join
            part = parts[0]
            return None if part.thought else part.text
        return _join_text(parts, thought=False)

    @property
    def thoughts(self) -> str | None:
        """The first candidate's thought-summary text joined; ``None`` when it has none."""
        parts = self._first_parts()
        return None if parts is None else _join_text(parts, thought=True)

    @property
    def function_calls(self) -> list[FunctionCall] | None:
        """The first candidate's function calls in order; ``None`` when there are none."""
        parts = self._first_parts()
        if parts is None:
            return None
        calls = [part.function_call for part in parts if part.function_call is not None]
        return calls or None

    @property
    def executable_code(self) -> str | None:
        """The code of the first candidate's first ``executable_code`` part."""
        for part in self._first_parts() or ():
            if part.executable_code is not None:
                return part.executable_code.code
        return None

    @property
    def code_execution_result(self) -> str | None:
        """The output of the first candidate's first ``code_execution_result`` part."""
        for part in self._first_parts() or ():
            if part.code_execution_result is not None:
                return part.code_execution_result.output
        return None


def _join_text(parts: list[Part], *, thought: bool) -> str | None:
    first: str | None = None
    pieces: list[str] | None = None
    for part in parts:
        text = part.text
        if text is None or bool(part.thought) is not thought:
            continue
        if first is None:
            first = text
        elif pieces is None:
            pieces = [first, text]
        else:
            pieces.append(text)
    return first if pieces is None else "".join(pieces)


GenerateContentResponsePromptFeedback = PromptFeedback
"""The official SDK's name for ``PromptFeedback``."""
