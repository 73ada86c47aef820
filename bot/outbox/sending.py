"""Turning an outbox payload into its Bot API call (see outbox.queue for the format)."""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Bot, Chat, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest

# Set while the outbox sends: its calls bypass the replies' flood retries, as it paces and
# pauses itself (bot.runtime.replies).
PACED: ContextVar[bool] = ContextVar("outbox_paced", default=False)
_FILE_ID_CACHE = 256


class PayloadError(ValueError):
    """A payload we cannot turn into a Bot API call: a bug, never worth retrying."""


class PayloadSender:
    """Sends payloads; remembers the file_id of files sent by path, so that a fan-out of one
    file uploads it once per process and sends it by file_id after that."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._file_ids: OrderedDict[str, str] = OrderedDict()
        self._upload_locks: dict[str, asyncio.Lock] = {}

    async def send(self, chat_id: int, payload: dict[str, Any], *,
                   paced: bool = True) -> Message:
        """The call's Telegram errors propagate; a malformed payload raises PayloadError.
        `paced`: the outbox's call, which keeps its own pace; a handler's direct answer
        (paced=False) waits out Telegram's flood answers as every reply does."""
        token = PACED.set(paced)  # bot.runtime.replies
        try:
            return await self._send(chat_id, payload)
        finally:
            PACED.reset(token)

    async def _send(self, chat_id: int, payload: dict[str, Any]) -> Message:
        method = payload.get("method")
        try:
            markup = payload.get("reply_markup")
            reply_markup = InlineKeyboardMarkup.de_json(markup, self._bot) if markup else None
            if method == "sendMessage":
                return await self._bot.send_message(
                    chat_id, payload["text"], parse_mode=payload.get("parse_mode"),
                    reply_markup=reply_markup)
            if method == "editMessageText":
                return await self._edit(chat_id, payload, reply_markup)
            if method not in ("sendPhoto", "sendDocument"):
                raise PayloadError(f"unknown method {method!r}")
            spec: dict[str, str] = payload["file"]
            path = spec.get("path")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PayloadError(f"bad payload: {type(exc).__name__}: {exc}") from exc
        if path is None:
            return await self._send_file(chat_id, payload, await _input_file(spec), reply_markup)
        # The rest of a fan-out waits for the first upload, then sends by file_id, concurrently.
        file_id = self._file_ids.get(path)
        if file_id is None:
            if len(self._upload_locks) > _FILE_ID_CACHE:
                self._upload_locks = {p: lock for p, lock in self._upload_locks.items()
                                      if lock.locked()}
            async with self._upload_locks.setdefault(path, asyncio.Lock()):
                file_id = self._file_ids.get(path)
                if file_id is None:
                    return await self._send_file(chat_id, payload, await _input_file(spec),
                                                 reply_markup)
        return await self._send_file(chat_id, payload, file_id, reply_markup)

    async def _edit(self, chat_id: int, payload: dict[str, Any],
                    reply_markup: InlineKeyboardMarkup | None) -> Message:
        """An edit of a message the bot sent (a prompt once it is answered). One that already
        reads so ("message is not modified": an edit repeated after a crash) is done."""
        message_id = int(payload["message_id"])
        try:
            edited = await self._bot.edit_message_text(
                payload["text"], chat_id=chat_id, message_id=message_id,
                parse_mode=payload.get("parse_mode"), reply_markup=reply_markup)
        except BadRequest as exc:
            if "message is not modified" not in exc.message.lower():
                raise
            edited = True
        if isinstance(edited, Message):
            return edited
        return Message(message_id, datetime.now(UTC), Chat(chat_id, Chat.PRIVATE))

    async def _send_file(self, chat_id: int, payload: dict[str, Any], file: InputFile | str,
                         reply_markup: InlineKeyboardMarkup | None) -> Message:
        caption, parse_mode = payload.get("caption"), payload.get("parse_mode")
        if payload["method"] == "sendPhoto":
            message = await self._bot.send_photo(
                chat_id, file, caption=caption, parse_mode=parse_mode, reply_markup=reply_markup)
            file_id = message.photo[-1].file_id if message.photo else None
        else:
            message = await self._bot.send_document(
                chat_id, file, caption=caption, parse_mode=parse_mode, reply_markup=reply_markup)
            file_id = message.document.file_id if message.document else None
        path = payload["file"].get("path")
        if path and file_id:
            self._file_ids[path] = file_id
            self._file_ids.move_to_end(path)
            while len(self._file_ids) > _FILE_ID_CACHE:
                self._file_ids.popitem(last=False)
        return message


async def _input_file(spec: dict[str, str]) -> InputFile | str:
    try:
        if "file_id" in spec:
            return spec["file_id"]
        filename = spec.get("filename")
        if "base64" in spec:
            return InputFile(base64.b64decode(spec["base64"], validate=True), filename=filename)
        path = Path(spec["path"])
        data = await asyncio.to_thread(path.read_bytes)
        return InputFile(data, filename=filename or path.name)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise PayloadError(f"bad file: {type(exc).__name__}: {exc}") from exc
