"""sendPhoto, sendDocument and getFile: uploads, resent file_ids, and the stored bytes."""

from __future__ import annotations

import mimetypes

from bot.sandbox.markup import reply_markup_of
from bot.sandbox.messages import MAX_CAPTION, common_content, deliver, formatted, recipient
from bot.sandbox.models import JSON, StoredFile
from bot.sandbox.params import ApiError, Params, bad_request, chat_id_of
from bot.sandbox.state import SandboxState

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size; C4, C8 and CC are other segments.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_info(data: bytes) -> tuple[str | None, int, int]:
    """(mime type, width, height) read from a PNG, JPEG or GIF header; (None, 0, 0) otherwise."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        return "image/png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return (
            "image/gif",
            int.from_bytes(data[6:8], "little"),
            int.from_bytes(data[8:10], "little"),
        )
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg", *_jpeg_size(data)
    return None, 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker in _JPEG_SOF:
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return 0, 0


def _input_file(state: SandboxState, params: Params, field: str, kind: str) -> StoredFile:
    """The file a request sends: a new upload, or one already stored, by file_id."""
    upload = params.upload(field)
    reference = params.string(field) or ""
    if upload is None and reference.startswith("attach://"):
        upload = params.upload(reference.removeprefix("attach://"))
    if upload is not None:
        if len(upload.data) > state.config.max_upload_bytes:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo":
            mime, width, height = image_info(upload.data)
            return state.store_file(
                "photo", upload.data, mime_type=mime or "image/jpeg", width=width, height=height
            )
        name = upload.filename or "document"
        mime = mimetypes.guess_type(name)[0] or upload.content_type or "application/octet-stream"
        return state.store_file("document", upload.data, file_name=name, mime_type=mime)
    if not reference:
        raise bad_request(f"there is no {kind} in the request")
    if reference.startswith(("http://", "https://")):
        # The sandbox never fetches from the network.
        raise bad_request("failed to get HTTP URL content")
    stored = state.files.get(reference)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(
            f"wrong remote file identifier specified: can't use file of type "
            f"{stored.kind.capitalize()} as {kind.capitalize()}"
        )
    return stored


async def _send_file(state: SandboxState, params: Params, kind: str) -> JSON:
    caption, entities = formatted(params, "caption", MAX_CAPTION, "message caption is too long")
    markup = reply_markup_of(params)
    chat_id = chat_id_of(params)
    stored = _input_file(state, params, kind, kind)
    user = recipient(state, chat_id)
    content: JSON = {kind: stored.photo_sizes() if kind == "photo" else stored.document()}
    if caption:
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    content.update(common_content(state, params, user.id, markup))
    message = deliver(
        state,
        user,
        content,
        parse_mode=params.string("parse_mode"),
        source=params.string("caption"),
        reply_markup=markup,
        file=stored,
    )
    return message.payload


async def send_photo(state: SandboxState, params: Params) -> JSON:
    return await _send_file(state, params, "photo")


async def send_document(state: SandboxState, params: Params) -> JSON:
    return await _send_file(state, params, "document")


async def get_file(state: SandboxState, params: Params) -> JSON:
    stored = state.files.get(params.required_string("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > state.config.max_download_bytes:
        raise bad_request("file is too big")
    return stored.telegram_file()
