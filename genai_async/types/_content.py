"""Content and its parts: what a turn of the conversation holds (docs/gemini-rest.md §3.2, §3.3)."""

from typing import Any, ClassVar

from ._base import _Base
from ._enums import Language, Outcome


class Blob(_Base):
    """Raw bytes sent inline with their MIME type (``inlineData``)."""

    mime_type: str | None = None
    data: bytes | None = None
    """The bytes; base64 on the wire."""
    display_name: str | None = None


class FileData(_Base):
    """A reference to a file by URI (``fileData``): a Files API ``uri``, YouTube URL, or public URL."""

    mime_type: str | None = None
    file_uri: str | None = None
    display_name: str | None = None


class FunctionCall(_Base):
    """A call the model wants made to a declared function."""

    id: str | None = None
    """Set by some models; echo it in the matching ``FunctionResponse.id``."""
    name: str | None = None
    args: dict[str, Any] | None = None
    """The arguments as a JSON object."""


class FunctionResponseBlob(_Base):
    """Bytes a function returns inline, with their MIME type (``functionResponse.parts[].inlineData``)."""

    mime_type: str | None = None
    data: bytes | None = None
    display_name: str | None = None


class FunctionResponseFileData(_Base):
    """A file a function returns by URI (``functionResponse.parts[].fileData``)."""

    mime_type: str | None = None
    file_uri: str | None = None
    display_name: str | None = None


class FunctionResponsePart(_Base):
    """Media returned by a function alongside its JSON response (``functionResponse.parts[]``)."""

    inline_data: FunctionResponseBlob | None = None
    file_data: FunctionResponseFileData | None = None


class FunctionResponse(_Base):
    """The result of a ``FunctionCall``, sent back in a ``user`` turn."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("scheduling",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    id: str | None = None
    """The ``FunctionCall.id`` this answers, when the call had one."""
    name: str | None = None
    response: dict[str, Any] | None = None
    """A JSON object; by convention ``{"output": ...}`` or ``{"error": ...}``."""
    parts: list[FunctionResponsePart] | None = None
    will_continue: bool | None = None
    """Live API NON_BLOCKING functions only: more responses for this call follow."""
    scheduling: str | None = None
    """Live API only: ``SILENT``, ``WHEN_IDLE`` or ``INTERRUPT``."""


class ToolCall(_Base):
    """A server-side tool invocation (``Part.tool_call``), echoed with
    ``ToolConfig.include_server_side_tool_invocations``."""

    id: str | None = None
    tool_type: str | None = None
    """A ``ToolType`` value, e.g. ``GOOGLE_SEARCH_WEB``, ``URL_CONTEXT``, ``FILE_SEARCH``."""
    args: dict[str, Any] | None = None


class ToolResponse(_Base):
    """The result of a server-side tool invocation (``Part.tool_response``)."""

    id: str | None = None
    tool_type: str | None = None
    """A ``ToolType`` value."""
    response: dict[str, Any] | None = None


class ExecutableCode(_Base):
    """Code the model wrote for the code-execution tool."""

    language: Language | None = None
    code: str | None = None
    id: str | None = None


class CodeExecutionResult(_Base):
    """Outcome and output of running an ``ExecutableCode`` part."""

    outcome: Outcome | None = None
    output: str | None = None
    """stdout on success, otherwise stderr or a description of the failure."""
    id: str | None = None


class VideoMetadata(_Base):
    """Clip and sampling settings for a video part."""

    start_offset: str | None = None
    """A duration such as ``"12.5s"``."""
    end_offset: str | None = None
    fps: float | None = None
    """Frames sampled per second, in (0, 24]; the service default is 1."""


class PartMediaResolution(_Base):
    """Per-part media resolution (Gemini 3)."""

    _wire_enums: ClassVar[tuple[str, ...]] = ("level",)
    """Fields holding a wire enum: upper-cased when normalised (``"any"`` -> ``"ANY"``)."""

    level: str | None = None
    """A ``MediaResolution`` value, e.g. ``"MEDIA_RESOLUTION_HIGH"``."""


class Part(_Base):
    """One piece of a ``Content``: a single data member plus optional metadata."""

    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    tool_call: ToolCall | None = None
    """A server-side tool invocation, echoed when ``ToolConfig.include_server_side_tool_invocations``."""
    tool_response: ToolResponse | None = None
    """The result of a server-side tool invocation."""
    thought: bool | None = None
    """True when ``text`` is a thought summary rather than answer text."""
    thought_signature: bytes | None = None
    """Opaque; replay it byte-for-byte on this part when sending the turn back in history."""
    video_metadata: VideoMetadata | None = None
    media_resolution: PartMediaResolution | None = None
    part_metadata: dict[str, Any] | None = None

    @classmethod
    def from_text(cls, *, text: str) -> "Part":
        """Create a text part."""
        return cls(text=text)

    @classmethod
    def from_bytes(cls, *, data: bytes, mime_type: str, media_resolution: str | None = None) -> "Part":
        """Create a part carrying ``data`` inline (base64 on the wire)."""
        return cls(inline_data=Blob(mime_type=mime_type, data=data), media_resolution=_resolution(media_resolution))

    @classmethod
    def from_uri(cls, *, file_uri: str, mime_type: str | None = None, media_resolution: str | None = None) -> "Part":
        """Create a part referring to a file by URI.

        Without ``mime_type`` it is guessed from the URI's extension; when that fails (Files API URIs
        have none) it is left unset and the service uses the uploaded file's type.
        """
        if mime_type is None:
            import mimetypes  # only for a URI without a MIME type

            mime_type, _ = mimetypes.guess_type(file_uri)
        return cls(
            file_data=FileData(file_uri=file_uri, mime_type=mime_type),
            media_resolution=_resolution(media_resolution),
        )

    @classmethod
    def from_function_call(cls, *, name: str, args: dict[str, Any]) -> "Part":
        """Create a function-call part (normally only the model produces these)."""
        return cls(function_call=FunctionCall(name=name, args=args))

    @classmethod
    def from_function_response(
        cls, *, name: str, response: dict[str, Any], parts: list[FunctionResponsePart] | None = None
    ) -> "Part":
        """Create the part that answers a function call named ``name``."""
        return cls(function_response=FunctionResponse(name=name, response=response, parts=parts))

    @classmethod
    def from_executable_code(cls, *, code: str, language: Language | str) -> "Part":
        """Create an executable-code part."""
        return cls(executable_code=ExecutableCode(code=code, language=Language(language)))

    @classmethod
    def from_code_execution_result(cls, *, outcome: Outcome | str, output: str) -> "Part":
        """Create a code-execution-result part."""
        return cls(code_execution_result=CodeExecutionResult(outcome=Outcome(outcome), output=output))


def _resolution(level: str | None) -> PartMediaResolution | None:
    return None if level is None else PartMediaResolution(level=level)


class Content(_Base):
    """One turn of a conversation: a role and its parts."""

    role: str | None = None
    """``"user"`` or ``"model"``; the service treats a missing role as ``"user"``."""
    parts: list[Part] | None = None


def _parts(parts: Any) -> list[Part]:
    items = parts if isinstance(parts, (list, tuple)) else [parts]
    return [Part(text=p) if isinstance(p, str) else p for p in items]


def UserContent(*, parts: Any) -> Content:
    """A ``Content`` with role ``"user"`` (the official SDK's ``types.UserContent``); ``parts`` is a
    str, a ``Part`` or a list of them."""
    return Content(role="user", parts=_parts(parts))


def ModelContent(*, parts: Any) -> Content:
    """A ``Content`` with role ``"model"`` (the official SDK's ``types.ModelContent``); ``parts`` is a
    str, a ``Part`` or a list of them."""
    return Content(role="model", parts=_parts(parts))
