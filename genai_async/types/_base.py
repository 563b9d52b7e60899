"""The one msgspec base every wire type inherits, and the wire rules that need code.

The REST surface is the proto3 JSON mapping (docs/gemini-rest.md §0). What we decided:

- Names. Python attributes are snake_case; ``rename="camel"`` on ``_Base`` makes them lowerCamelCase on
  the wire. No field maps its name by hand. Where the wire name is not the camel of the SDK's Python
  name (``citationSources`` vs the SDK's ``citations``) the field follows the wire and the SDK name is a
  read-only property.
- Defaults. Every field defaults to ``None`` and ``omit_defaults=True`` drops it from the output, so an
  unset field is never sent. A field set to a falsy value (``0``, ``False``, ``""``, ``[]``) *is*
  sent, which keeps ``"index": 0`` and ``"presencePenalty": 0.0`` byte-faithful on a round trip.
- Unknown keys are ignored (msgspec's default), so a new server field never breaks decoding.
- Enums are open ``str`` enums (``_enums.py``): an unknown value decodes to a pseudo-member that
  compares equal to its string.
- bytes (``Blob.data``, ``Part.thought_signature``, ``SearchEntryPoint.sdk_blob``,
  ``continuation_token``) are typed ``bytes``, which msgspec writes and reads as *standard* base64 with
  padding. That is what Gemini emits. msgspec rejects URL-safe or unpadded base64 with a
  ``ValidationError``; code that reads foreign input (the emulator reading the official SDK's
  requests, which use the URL-safe alphabet) must normalise it first.
- int64. proto3 JSON writes int64 as a JSON *string* (``"sizeBytes": "2621440"``), and a strict
  ``msgspec.json.Decoder(T)`` refuses a string for ``int``. Such fields are annotated ``Int64``: at
  runtime that is ``int | str`` so a plain strict decoder accepts both spellings, and the struct's
  ``__post_init__`` (which msgspec runs after decoding, ``convert`` and ``__init__``) turns a string
  into an ``int``. Type checkers see ``int``, which is what the attribute always holds. Encoding writes
  a JSON number, which proto3 JSON parsers accept for int64 input.
- Durations (``"300s"``) and timestamps (RFC 3339) stay ``str``: no parsing cost per chunk, and the
  value is sent back exactly as received.
"""

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from typing_extensions import Self

    Int64 = int
else:
    Int64 = int | str


class _Base(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel", repr_omit_defaults=True, gc=False):
    """Base for every genai_async type: keyword-only, camelCase on the wire, unset fields omitted.

    ``gc=False`` (msgspec's perf tip): wire data is a tree and never forms reference cycles, so the
    cycle collector need not track the thousands of Structs a stream decodes."""

    def __repr__(self) -> str:
        from ._repr import pretty  # only when printed

        return pretty(self)

    # The official SDK's pydantic methods (types/_dump.py says what each gives).
    def model_dump(self, *, mode: str = "python", exclude_none: bool = False, by_alias: bool = False) -> dict[str, Any]:
        """This object as a dict with snake_case keys (``by_alias=True``: camelCase), like pydantic's."""
        from ._dump import dump

        result: dict[str, Any] = dump(self, mode=mode, exclude_none=exclude_none, by_alias=by_alias)
        return result

    def model_dump_json(self, *, indent: int | None = None, exclude_none: bool = False, by_alias: bool = False) -> str:
        """``model_dump(mode="json")`` as a JSON string."""
        import json

        data = self.model_dump(mode="json", exclude_none=exclude_none, by_alias=by_alias)
        return json.dumps(data, indent=indent, ensure_ascii=False)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict without unset fields (the official SDK's ``to_json_dict``)."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def model_validate(cls, obj: Any) -> "Self":
        """Build from a dict (snake_case or camelCase keys) or an instance; unknown keys are errors."""
        from ._dump import validate

        return validate(cls, obj)  # type: ignore[no-any-return]


def _coerce_int64(struct: _Base, names: tuple[str, ...]) -> None:
    """Turn JSON-string int64 values on ``struct`` into ``int``; call from ``__post_init__``."""
    for name in names:
        value = getattr(struct, name)
        if isinstance(value, str):
            setattr(struct, name, int(value))
