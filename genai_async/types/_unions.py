"""Named unions for what the public methods accept, with the official SDK's names (``ContentListUnion``...).

They document the parameters that take several shapes and let a type checker catch a wrong one;
the runtime checks (``_contents.py``, ``_normalize.py``) stay the authority and name what was wrong.
Differences from the SDK's: sequences instead of lists (a ``list[str]`` variable is accepted; tuples
are accepted at runtime too), ``bytes`` as a part (its MIME type is sniffed), a ``pathlib`` path as a
whole item of ``contents`` (read in a worker thread; inline up to 20 MB), and dicts as plain mappings
(this package has no TypedDicts).
"""

import pathlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from ._content import Content, FunctionResponse, Part
from ._resources import File

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
else:
    PILImage = Any  # Pillow is optional: any object of PIL.Image is accepted at runtime

PartUnion: TypeAlias = str | Part | File | bytes | bytearray | memoryview | PILImage
"""One part: text, a Part, an uploaded File, raw bytes or a PIL image."""
PartUnionDict: TypeAlias = PartUnion | Mapping[str, Any]
"""One part, or a Part as a dict (either key spelling)."""
ContentUnion: TypeAlias = Content | PartUnion | Sequence[PartUnion]
"""One turn: a Content, a part, or a list of parts (one user turn)."""
ContentUnionDict: TypeAlias = ContentUnion | Mapping[str, Any] | Sequence[PartUnionDict]
"""One turn, with Contents and parts also as dicts."""
ContentListUnion: TypeAlias = ContentUnion | pathlib.PurePath | Sequence[ContentUnion | pathlib.PurePath]
"""``contents`` of ``generate_content`` and the other model calls: one turn, or a list of turns and parts
(consecutive parts form one turn) and file paths."""
ContentListUnionDict: TypeAlias = ContentListUnion | ContentUnionDict | Sequence[ContentUnionDict | pathlib.PurePath]
"""``contents`` with Contents and parts also as dicts."""
FunctionResponseOrDict: TypeAlias = FunctionResponse | Mapping[str, Any]
"""A FunctionResponse, or one as a dict."""
