"""Schemas, tools and tool config (docs/gemini-rest.md §3.4, §3.9, §3.10).

Enum-like fields here are filled by the user, so they are typed ``str``: ``"AUTO"`` and
``FunctionCallingConfigMode.AUTO`` both type-check.
"""

from typing import Any, ClassVar

import msgspec

from ._base import Int64, _Base, _coerce_int64

_SCHEMA_INT64 = ("min_items", "max_items", "min_length", "max_length", "min_properties", "max_properties")


class Schema(_Base):
    """An OpenAPI 3.0 subset describing JSON data (``responseSchema``, function ``parameters``)."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("type",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    type: str | None = None
    """A ``Type`` value: ``STRING``, ``NUMBER``, ``INTEGER``, ``BOOLEAN``, ``ARRAY``, ``OBJECT``, ``NULL``."""
    format: str | None = None
    """Refines ``type``: ``float``, ``double``, ``int32``, ``int64``, ``enum``, ``date-time``, ..."""
    title: str | None = None
    description: str | None = None
    nullable: bool | None = None
    enum: list[str] | None = None
    items: "Schema | None" = None
    """Schema of each element when ``type`` is ``ARRAY``."""
    min_items: Int64 | None = None
    max_items: Int64 | None = None
    properties: "dict[str, Schema] | None" = None
    required: list[str] | None = None
    property_ordering: list[str] | None = None
    """Order in which the model writes ``properties`` (not standard OpenAPI)."""
    any_of: "list[Schema] | None" = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: Int64 | None = None
    max_length: Int64 | None = None
    pattern: str | None = None
    min_properties: Int64 | None = None
    max_properties: Int64 | None = None
    default: Any = None
    example: Any = None
    ref: str | None = None
    """A reference to a schema in the root's ``defs``, e.g. ``"#/defs/Pet"``."""
    defs: "dict[str, Schema] | None" = None
    additional_properties: Any = None

    def __post_init__(self) -> None:
        _coerce_int64(self, _SCHEMA_INT64)


class FunctionDeclaration(_Base):
    """A function the model may call: its name, purpose and parameter schema."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("behavior",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    name: str | None = None
    """Letters, digits, ``_ . : -``; starts with a letter or underscore; at most 128 characters."""
    description: str | None = None
    parameters: Schema | None = None
    parameters_json_schema: Any = None
    """Plain JSON Schema for the arguments; use instead of ``parameters``."""
    response: Schema | None = None
    response_json_schema: Any = None
    """Plain JSON Schema for the result; use instead of ``response``."""
    behavior: str | None = None
    """Live API only: ``BLOCKING`` or ``NON_BLOCKING``."""

    @classmethod
    def from_callable(
        cls, *, client: Any = None, callable: Any, behavior: str | None = None, use_json_schema: bool = False
    ) -> "FunctionDeclaration":
        """The declaration of a sync or async Python function: name, docstring, parameters from the
        signature (the official SDK's shape; ``client`` and ``use_json_schema`` are accepted and ignored).

        Raises ``ConfigurationError`` naming the parameter whose annotation has no Gemini schema.
        """
        from .._callables import build_declaration

        decl = build_declaration(callable)  # a fresh object: the cached one is shared
        return decl if behavior is None else msgspec.structs.replace(decl, behavior=behavior)


class Interval(_Base):
    """A time range; both ends are RFC 3339 timestamps."""

    start_time: str | None = None
    end_time: str | None = None


class GoogleSearch(_Base):
    """The Google Search grounding tool."""

    time_range_filter: Interval | None = None
    """Only use results published inside this range."""


class DynamicRetrievalConfig(_Base):
    """When legacy search retrieval runs (1.5-era models)."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("mode",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    mode: str | None = None
    """``MODE_DYNAMIC`` or ``MODE_UNSPECIFIED``."""
    dynamic_threshold: float | None = None


class GoogleSearchRetrieval(_Base):
    """Legacy Google Search retrieval tool for 1.5-era models; prefer ``GoogleSearch``."""

    dynamic_retrieval_config: DynamicRetrievalConfig | None = None


class ToolCodeExecution(_Base):
    """The code-execution tool: the model writes and runs Python."""


class UrlContext(_Base):
    """The URL-context tool: the model fetches URLs named in the prompt."""


class GoogleMaps(_Base):
    """The Google Maps grounding tool."""

    enable_widget: bool | None = None
    """Deprecated: return a widget context token."""


class FileSearch(_Base):
    """The file-search (managed RAG) tool over File Search stores."""

    file_search_store_names: list[str] | None = None
    top_k: int | None = None
    metadata_filter: str | None = None


class ComputerUse(_Base):
    """The computer-use tool."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("environment",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    environment: str | None = None
    """E.g. ``ENVIRONMENT_BROWSER``."""
    excluded_predefined_functions: list[str] | None = None


class Tool(_Base):
    """A tool the model may use; each element usually sets one member."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: GoogleSearch | None = None
    google_search_retrieval: GoogleSearchRetrieval | None = None
    code_execution: ToolCodeExecution | None = None
    url_context: UrlContext | None = None
    file_search: FileSearch | None = None
    google_maps: GoogleMaps | None = None
    computer_use: ComputerUse | None = None


class FunctionCallingConfig(_Base):
    """Whether and which functions the model may call."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("mode",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    mode: str | None = None
    """A ``FunctionCallingConfigMode``: ``AUTO``, ``ANY``, ``NONE`` or ``VALIDATED``."""
    allowed_function_names: list[str] | None = None
    """Only with mode ``ANY``."""


class LatLng(_Base):
    """A point on Earth in degrees."""

    latitude: float | None = None
    longitude: float | None = None


class RetrievalConfig(_Base):
    """Location and language context for retrieval tools such as Google Maps."""

    lat_lng: LatLng | None = None
    language_code: str | None = None


class ToolConfig(_Base):
    """Settings shared by all tools of a request."""

    function_calling_config: FunctionCallingConfig | None = None
    retrieval_config: RetrievalConfig | None = None
    include_server_side_tool_invocations: bool | None = None
    """Echo server-side tool calls as ``Part.tool_call`` / ``Part.tool_response``."""


CodeExecution = ToolCodeExecution
"""Short name for ``ToolCodeExecution``."""
