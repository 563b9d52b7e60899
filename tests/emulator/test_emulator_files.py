"""Files API: the resumable upload protocol, file states, listing, deletion and use in prompts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from genai_async.emulator import Emulator, running

from .emulator_helpers import MODEL, Api, Result, answer_text, fixture_bytes

PDF = b"%PDF-1.4 emulated " * 100


async def start(api: Api, data: bytes, display_name: str | None = "report.pdf", mime: str = "application/pdf") -> str:
    body = {"file": {"display_name": display_name}} if display_name else {}
    result = await api.request(
        "POST",
        "/upload/v1beta/files",
        json_body=body,
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(len(data)),
            "X-Goog-Upload-Header-Content-Type": mime,
        },
    )
    assert result.status == 200, result.body
    assert result.headers["x-goog-upload-status"] == "active"
    assert result.headers["x-goog-upload-chunk-granularity"] == "8388608"
    return result.headers["x-goog-upload-url"]


async def send(api: Api, url: str, chunk: bytes, offset: int, command: str) -> Result:
    headers = {"X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)}
    return await api.request("POST", url, data=chunk, headers=headers, key=None)  # the SDK sends no key here


async def upload(api: Api, data: bytes = PDF, **kwargs: Any) -> dict[str, Any]:
    url = await start(api, data, **kwargs)
    final = await send(api, url, data, 0, "upload, finalize")
    assert final.status == 200 and final.headers["x-goog-upload-status"] == "final", final.body
    return final.json()["file"]  # type: ignore[no-any-return]


def file_part(file: dict[str, Any]) -> dict[str, Any]:
    return {"fileData": {"mimeType": file["mimeType"], "fileUri": file["uri"]}}


async def test_single_chunk_upload_then_active(api: Api, emu: Emulator) -> None:
    url = await start(api, PDF)
    assert urlsplit(url).netloc == urlsplit(emu.base_url).netloc
    assert "upload_id=" in url and url.endswith("&upload_protocol=resumable")
    final = await send(api, url, PDF, 0, "upload, finalize")
    file = final.json()["file"]
    fixture = json.loads(fixture_bytes("file_get_processing.json"))
    assert list(file) == list(fixture)
    assert file["state"] == "ACTIVE" and file["source"] == "UPLOADED"  # no processing delay: ready at once
    assert file["sizeBytes"] == str(len(PDF)) and file["displayName"] == "report.pdf"
    assert base64.b64decode(file["sha256Hash"]).decode() == hashlib.sha256(PDF).hexdigest()
    got = (await api.get(f"/v1beta/{file['name']}")).json()
    assert got["state"] == "ACTIVE"
    assert {k: v for k, v in got.items() if k not in ("state", "updateTime")} == {
        k: v for k, v in file.items() if k not in ("state", "updateTime")
    }


async def test_multi_chunk_upload_with_query(api: Api) -> None:
    data = bytes(range(256)) * 40
    url = await start(api, data, display_name=None, mime="application/octet-stream")
    pieces = [data[:4096], data[4096:8192], data[8192:]]
    offset = 0
    for piece in pieces[:-1]:
        reply = await send(api, url, piece, offset, "upload")
        assert reply.status == 200 and reply.body == b""
        assert reply.headers["x-goog-upload-status"] == "active"
        offset += len(piece)
    query = await api.request("POST", url, headers={"X-Goog-Upload-Command": "query"}, key=None)
    assert query.headers["x-goog-upload-status"] == "active"
    assert query.headers["x-goog-upload-size-received"] == str(offset)
    final = await send(api, url, pieces[-1], offset, "upload, finalize")
    file = final.json()["file"]
    assert file["sizeBytes"] == str(len(data)) and "displayName" not in file


async def test_wrong_offset_and_size_mismatch(api: Api) -> None:
    url = await start(api, PDF)
    wrong = await send(api, url, PDF[:10], 5, "upload")
    assert wrong.status == 400 and wrong.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert wrong.headers["x-goog-upload-status"] == "active"
    assert wrong.headers["x-goog-upload-size-received"] == "0"
    short = await send(api, url, PDF[:10], 0, "upload, finalize")
    assert short.status == 400 and short.headers["x-goog-upload-status"] == "final"
    unknown = await api.request(
        "POST",
        "/upload/v1beta/files?upload_id=nope",
        data=b"x",
        key=None,
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
    )
    assert unknown.status == 404


async def test_start_requires_resumable_protocol_and_key(api: Api) -> None:
    no_protocol = await api.request(
        "POST", "/upload/v1beta/files", json_body={}, headers={"X-Goog-Upload-Command": "start"}
    )
    assert no_protocol.status == 400
    no_key = await api.request(
        "POST",
        "/upload/v1beta/files",
        json_body={},
        key=None,
        headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"},
    )
    assert no_key.status == 403


async def test_processing_delay_blocks_use_until_active(session: aiohttp.ClientSession) -> None:
    async with running(file_processing_delay=0.3) as emu:
        api = Api(session, emu)
        file = await upload(api)
        assert (await api.get(f"/v1beta/{file['name']}")).json()["state"] == "PROCESSING"
        body = {"contents": [{"role": "user", "parts": [{"text": "Summarise this"}, file_part(file)]}]}
        early = await api.post(f"/v1beta/models/{MODEL}:generateContent", body)
        assert early.status == 400 and early.json()["error"]["status"] == "FAILED_PRECONDITION"
        await asyncio.sleep(0.35)
        assert (await api.get(f"/v1beta/{file['name']}")).json()["state"] == "ACTIVE"
        text = answer_text(await api.generate(body))
        assert f"I received the file report.pdf (application/pdf, {len(PDF)} bytes)." in text


async def test_queued_failed_state(api: Api, emu: Emulator) -> None:
    emu.queue_file_state("FAILED")
    failed = await upload(api)
    got = (await api.get(f"/v1beta/{failed['name']}")).json()
    assert got["state"] == "FAILED" and got["error"] == json.loads(fixture_bytes("file_get_failed.json"))["error"]
    ok = await upload(api)
    assert (await api.get(f"/v1beta/{ok['name']}")).json()["state"] == "ACTIVE"


async def test_list_pagination(api: Api) -> None:
    assert (await api.get("/v1beta/files")).json() == {}
    names = [(await upload(api, display_name=f"f{i}.pdf"))["name"] for i in range(5)]
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": "2", **({"pageToken": token} if token else {})}
        page = (await api.get("/v1beta/files", params=params)).json()
        seen += [f["name"] for f in page["files"]]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == 3 and sorted(seen) == sorted(names) and len(set(seen)) == 5


async def test_delete_download_and_unknown_files(api: Api) -> None:
    file = await upload(api)
    file_id = file["name"].split("/")[1]
    download = await api.get(f"/v1beta/files/{file_id}:download", params={"alt": "media"})
    assert download.status == 400
    deleted = await api.request("DELETE", f"/v1beta/files/{file_id}")
    assert deleted.status == 200 and deleted.body == fixture_bytes("empty_delete.json")
    gone = await api.get(f"/v1beta/files/{file_id}")
    assert gone.status == 403 and gone.json()["error"]["status"] == "PERMISSION_DENIED"
    body = {"contents": [{"role": "user", "parts": [{"text": "Hi"}, file_part(file)]}]}
    assert (await api.post(f"/v1beta/models/{MODEL}:generateContent", body)).status == 403
