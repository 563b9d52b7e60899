"""The one request object the send loop sends: frozen and slotted."""

from __future__ import annotations

import msgspec
import pytest

from genai_async._options import resolve
from genai_async._request import Request


def test_a_request_is_frozen_slotted_and_keeps_what_it_was_given() -> None:
    settings = resolve(
        api_key="k",
        base_url=None,
        http_options=None,
        timeout=None,
        connect_timeout=None,
        total_timeout=None,
        max_connections=4,
        allow_insecure_http=False,
        retry=None,
        unset=object(),
    )
    req = Request(
        "POST", "models/m:generateContent", endpoint="models/m:generateContent", settings=settings, body=b"{}"
    )
    assert (req.method, req.body, req.headers, req.params, req.stream) == ("POST", b"{}", None, None, False)
    assert req.settings is settings
    with pytest.raises(AttributeError):
        req.body = b"changed"  # type: ignore[misc]
    assert not hasattr(req, "__dict__")
    hop = msgspec.structs.replace(req, body=b"[]")  # a new request, the first one unchanged
    assert (hop.body, req.body) == (b"[]", b"{}")
