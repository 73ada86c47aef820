"""The objects of the sandbox's world, and their Telegram and control-API shapes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    username: str | None = None
    blocked: bool = False
    # Telegram lets a bot write to a user only after the user wrote to it (pressed Start).
    started: bool = False

    def telegram(self) -> JSON:
        """The Bot API `User` object."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                user[key] = getattr(self, key)
        return user

    def private_chat(self) -> JSON:
        """The Bot API `Chat` object of the private chat with this user."""
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat

    def control(self) -> JSON:
        return {
            "id": self.id,
            "user_id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": self.language_code,
            "phone_number": self.phone_number,
            "blocked": self.blocked,
            "started": self.started,
        }


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_sizes(self) -> list[JSON]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.file_size,
            }
        ]

    def document(self) -> JSON:
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc

    def telegram_file(self) -> JSON:
        """The Bot API `File` object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def control(self) -> JSON:
        info: JSON = {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "file_size": self.file_size,
            "mime_type": self.mime_type,
        }
        if self.kind == "photo":
            info.update(width=self.width, height=self.height)
        return info


@dataclass
class Message:
    """A message in a private chat, with what the control API shows besides Telegram's object."""

    message_id: int
    chat_id: int
    sender: str  # "bot" or "user"
    payload: JSON  # the Bot API `Message` object, kept current on edits
    parse_mode: str | None = None
    source: str | None = None  # text or caption exactly as the bot sent it
    reply_markup: JSON | None = None  # as sent, reply keyboards included
    file: StoredFile | None = None
    contact: JSON | None = None
    forward: JSON | None = None
    edited: bool = False
    deleted: bool = False

    @property
    def date(self) -> int:
        return int(self.payload["date"])

    def control(self) -> JSON:
        entry: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "date": self.date,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "edited": self.edited,
            "deleted": self.deleted,
        }
        for key in ("text", "caption"):
            if key in self.payload:
                entry[key] = self.payload[key]
        entities = self.payload.get("entities") or self.payload.get("caption_entities")
        if entities:
            entry["entities"] = entities
        if self.source is not None and self.parse_mode is not None:
            entry["html" if self.parse_mode.lower() == "html" else "source"] = self.source
        if self.file is not None:
            entry[self.file.kind] = self.file.control()
        if self.contact is not None:
            entry["contact"] = self.contact
        if self.forward is not None:
            entry["forward"] = self.forward
        return entry


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    message_id: int
    data: str
    created: float  # monotonic
    answer: JSON | None = None


@dataclass
class PendingUpdate:
    update_id: int
    kind: str  # "message", "callback_query", ...
    payload: JSON

    def telegram(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class WebhookSettings:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, pending: int) -> JSON:
        info: JSON = {"url": self.url, "has_custom_certificate": False}
        info["pending_update_count"] = pending
        if self.url:
            info["max_connections"] = self.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.allowed_updates is not None:
                info["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    messages_per_chat: Counter[int] = field(default_factory=Counter)
    # 429s the rate limits gave (not injected faults), per chat.
    flood_limited: Counter[int] = field(default_factory=Counter)

    def record_error(self, code: int) -> None:
        self.errors["5xx" if code >= 500 else str(code)] += 1

    def control(self) -> JSON:
        errors: JSON = {"400": 0, "403": 0, "429": 0, "5xx": 0}
        errors.update(self.errors)
        faults: JSON = {"429": 0, "5xx": 0, "delayed": 0}
        faults.update(self.faults)
        return {
            "calls": dict(self.calls),
            "errors": errors,
            "faults": faults,
            "messages_per_chat": {str(k): v for k, v in self.messages_per_chat.items()},
            "flood_limited": {str(k): v for k, v in self.flood_limited.items()},
        }
