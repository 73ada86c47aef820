"""sendPhoto, sendDocument and getFile: uploads, resent file_ids, and the stored bytes."""

from __future__ import annotations

import io
import mimetypes
import warnings

from PIL import Image, UnidentifiedImageError

from bot.sandbox.markup import reply_markup_of
from bot.sandbox.messages import MAX_CAPTION, common_content, deliver, formatted, recipient
from bot.sandbox.models import JSON, StoredFile
from bot.sandbox.params import ApiError, Params, bad_request, chat_id_of
from bot.sandbox.state import SandboxState

MAX_PHOTO_SIDES = 10_000  # width + height
MAX_PHOTO_RATIO = 20


def check_photo(data: bytes, max_bytes: int) -> tuple[str, int, int]:
    """(mime type, width, height) of an uploaded photo, or Telegram's refusal: bytes that do
    not decode as an image, more than 10 MB, sides over 10,000 together or 20 to 1."""
    if len(data) > max_bytes:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                image.load()  # decodes every pixel: a cut or corrupt file fails here
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    if kind not in _PHOTO_FORMATS:
        raise bad_request("IMAGE_PROCESS_FAILED")
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(width,
                                                                                       height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return _PHOTO_FORMATS[kind], width, height


_PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
                  "WEBP": "image/webp", "BMP": "image/bmp", "TIFF": "image/tiff"}


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
            mime, width, height = check_photo(upload.data, state.config.max_photo_bytes)
            return state.store_file(
                "photo", upload.data, mime_type=mime, width=width, height=height
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
