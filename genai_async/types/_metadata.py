"""What the service reports about a generation: safety, citations, grounding, logprobs, usage.

See docs/gemini-rest.md §4.2-§4.4. Every type here is server-filled, so enum-like fields use the open
enums from ``_enums.py``.
"""

from typing import Any

from ._base import _Base
from ._enums import HarmCategory, HarmProbability, Modality, UrlRetrievalStatus


class SafetyRating(_Base):
    """How likely content is to be harmful in one category, and whether it was blocked for it."""

    category: HarmCategory | None = None
    probability: HarmProbability | None = None
    blocked: bool | None = None
    probability_score: float | None = None
    """Vertex AI only."""
    severity: str | None = None
    """Vertex AI only."""
    severity_score: float | None = None
    """Vertex AI only."""


class GoogleTypeDate(_Base):
    """A calendar date (``google.type.Date``); a field may be 0 or absent when unknown."""

    year: int | None = None
    month: int | None = None
    day: int | None = None


class CitationSource(_Base):
    """A source the output quotes from."""

    start_index: int | None = None
    end_index: int | None = None
    uri: str | None = None
    license: str | None = None
    title: str | None = None
    publication_date: GoogleTypeDate | None = None


class CitationMetadata(_Base):
    """The sources a candidate cites."""

    citation_sources: list[CitationSource] | None = None

    @property
    def citations(self) -> list[CitationSource] | None:
        """The official SDK's name for ``citation_sources``."""
        return self.citation_sources


class SearchEntryPoint(_Base):
    """Google Search suggestions the app must display next to grounded answers."""

    rendered_content: str | None = None
    """An HTML/CSS snippet to embed."""
    sdk_blob: bytes | None = None


class GroundingChunkWeb(_Base):
    """A web page used for grounding."""

    uri: str | None = None
    """A redirect URL on ``vertexaisearch.cloud.google.com``, not the page itself."""
    title: str | None = None
    domain: str | None = None


class GroundingChunkStringList(_Base):
    """A list of strings in a document's custom metadata."""

    values: list[str] | None = None


class GroundingChunkCustomMetadata(_Base):
    """One key of a retrieved document's custom metadata (File Search); one value member is set."""

    key: str | None = None
    string_value: str | None = None
    string_list_value: GroundingChunkStringList | None = None
    numeric_value: float | None = None


class GroundingChunkRetrievedContext(_Base):
    """A retrieved document (file search) used for grounding."""

    uri: str | None = None
    title: str | None = None
    text: str | None = None
    document_name: str | None = None
    file_search_store: str | None = None
    custom_metadata: list[GroundingChunkCustomMetadata] | None = None
    """The metadata the document was imported with (File Search)."""
    page_number: int | None = None
    media_id: str | None = None


class GroundingChunkMaps(_Base):
    """A Google Maps place used for grounding."""

    uri: str | None = None
    title: str | None = None
    text: str | None = None
    place_id: str | None = None
    place_answer_sources: dict[str, Any] | None = None


class GroundingChunk(_Base):
    """One grounding source; one member is set."""

    web: GroundingChunkWeb | None = None
    retrieved_context: GroundingChunkRetrievedContext | None = None
    maps: GroundingChunkMaps | None = None


class Segment(_Base):
    """A span of a part's text."""

    part_index: int | None = None
    start_index: int | None = None
    """A UTF-8 **byte** offset into the part's text; convert before slicing a ``str``."""
    end_index: int | None = None
    """A UTF-8 byte offset, exclusive."""
    text: str | None = None


class GroundingSupport(_Base):
    """Links a span of the answer to the grounding chunks that support it."""

    segment: Segment | None = None
    grounding_chunk_indices: list[int] | None = None
    """Indexes into ``GroundingMetadata.grounding_chunks``."""
    confidence_scores: list[float] | None = None


class RetrievalMetadata(_Base):
    """Details of legacy dynamic search retrieval."""

    google_search_dynamic_retrieval_score: float | None = None


class GroundingMetadata(_Base):
    """Sources and search queries behind a grounded candidate."""

    search_entry_point: SearchEntryPoint | None = None
    grounding_chunks: list[GroundingChunk] | None = None
    grounding_supports: list[GroundingSupport] | None = None
    web_search_queries: list[str] | None = None
    image_search_queries: list[str] | None = None
    retrieval_queries: list[str] | None = None
    retrieval_metadata: RetrievalMetadata | None = None
    google_maps_widget_context_token: str | None = None
    """Deprecated."""


class LogprobsResultCandidate(_Base):
    """A token and its log probability."""

    token: str | None = None
    token_id: int | None = None
    log_probability: float | None = None


class LogprobsResultTopCandidates(_Base):
    """The most likely tokens at one decoding step."""

    candidates: list[LogprobsResultCandidate] | None = None


class LogprobsResult(_Base):
    """Per-step log probabilities, when ``response_logprobs`` was requested."""

    top_candidates: list[LogprobsResultTopCandidates] | None = None
    """One entry per decoding step."""
    chosen_candidates: list[LogprobsResultCandidate] | None = None
    """The token chosen at each step."""
    log_probability_sum: float | None = None


class UrlMetadata(_Base):
    """Whether one URL could be fetched by the URL-context tool."""

    retrieved_url: str | None = None
    url_retrieval_status: UrlRetrievalStatus | None = None


class UrlContextMetadata(_Base):
    """Results of the URL-context tool."""

    url_metadata: list[UrlMetadata] | None = None


class ModalityTokenCount(_Base):
    """Tokens of one modality."""

    modality: Modality | None = None
    token_count: int | None = None


class UsageMetadata(_Base):
    """Token accounting for a request; in streams, each event carries a running snapshot."""

    prompt_token_count: int | None = None
    """Includes ``cached_content_token_count``."""
    cached_content_token_count: int | None = None
    candidates_token_count: int | None = None
    """Visible output of all candidates; in streams often only on the last event."""
    thoughts_token_count: int | None = None
    """Thinking tokens, reported even when thoughts are not returned."""
    tool_use_prompt_token_count: int | None = None
    """Tokens of server-side tool results fed back to the model."""
    total_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None
    service_tier: str | None = None
    """E.g. ``"standard"``."""
    traffic_type: str | None = None
    """Vertex AI only."""
    response_token_count: int | None = None
    """Live API only: the answer's tokens (the Live counterpart of ``candidates_token_count``)."""
    response_tokens_details: list[ModalityTokenCount] | None = None
    """Live API only: ``response_token_count`` by modality."""


GenerateContentResponseUsageMetadata = UsageMetadata
"""The official SDK's name for ``UsageMetadata``."""

Citation = CitationSource
"""The official SDK's name for ``CitationSource``."""
