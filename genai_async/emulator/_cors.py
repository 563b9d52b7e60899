"""CORS as Google's front end serves it, so browser code (fetch, the JS SDKs) can call the emulator.

A preflight ``OPTIONS`` is answered 200 with the caller's origin, the methods, and the headers it
asked for (at least the API key, ``x-goog-api-client`` and the upload protocol's headers). Every
other reply carries ``Access-Control-Allow-Origin`` and exposes the upload URL and status headers,
which a browser hides from scripts otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOWED_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
ALLOWED_HEADERS = (
    "content-type, x-goog-api-key, x-goog-api-client, x-goog-user-project, x-server-timeout, authorization, "
    "x-goog-upload-protocol, x-goog-upload-command, x-goog-upload-offset, x-goog-upload-header-content-length, "
    "x-goog-upload-header-content-type, x-goog-upload-file-name"
)
EXPOSED_HEADERS = (
    "x-goog-upload-url, x-goog-upload-status, x-goog-upload-chunk-granularity, x-goog-upload-size-received, "
    "x-gemini-service-tier, content-type"
)


def cors_headers(request: Mapping[str, str]) -> dict[str, str]:
    """The headers every reply carries (the origin is echoed; ``*`` without one)."""
    return {
        "Access-Control-Allow-Origin": request.get("Origin") or "*",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    }


def preflight_headers(request: Mapping[str, str]) -> dict[str, str]:
    """The reply to ``OPTIONS`` with ``Access-Control-Request-Method``: everything the browser asked is allowed."""
    asked = request.get("Access-Control-Request-Headers")
    return {
        **cors_headers(request),
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": asked or ALLOWED_HEADERS,
        "Access-Control-Max-Age": "3600",
        "Content-Length": "0",
    }
