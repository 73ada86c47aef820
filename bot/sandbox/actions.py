"""What the sandbox's users do: write, share contacts, forward, upload, press buttons.

Each action becomes a Telegram update for the bot. Writing to the bot marks the user as
having started it and lifts a block (Telegram's "Restart" button does both).
"""

from __future__ import annotations

import base64
import binascii
import copy
import mimetypes
import re
import time
from typing import Any

from bot.sandbox.html import utf16_length
from bot.sandbox.media import check_photo
from bot.sandbox.models import JSON, CallbackRecord, Message, User
from bot.sandbox.params import ApiError
from bot.sandbox.state import SandboxState

MAX_TEXT = 4096
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
# A stand-in channel for forwards "from a channel": Telegram's ids of channels look like this.
_CHANNEL_ID = -1001000000001


class ControlError(Exception):
    """A refused control request; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def require_user(state: SandboxState, user_id: int) -> User:
    user = state.users.get(user_id)
    if user is None:
        raise ControlError(404, f"unknown user {user_id}")
    return user


def command_entities(text: str) -> list[JSON]:
    """bot_command entities, which PTB's CommandHandler needs to see a command."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def set_blocked(state: SandboxState, user: User, blocked: bool) -> None:
    """Block or unblock the bot; Telegram tells the bot with a my_chat_member update."""
    if user.blocked == blocked:
        return
    user.blocked = blocked
    bot = state.bot_user()
    kicked: JSON = {"status": "kicked", "user": bot, "until_date": 0}
    member: JSON = {"status": "member", "user": bot}
    state.enqueue(
        "my_chat_member",
        {
            "chat": user.private_chat(),
            "from": user.telegram(),
            "date": int(time.time()),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        },
    )


def _from_user(state: SandboxState, user: User, content: JSON, **meta: Any) -> JSON:
    user.started = True
    set_blocked(state, user, False)
    message = state.add_message(user.id, "user", content, **meta)
    update_id = state.enqueue("message", copy.deepcopy(message.payload))
    return {"update_id": update_id, "message_id": message.message_id}


def _string(spec: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = spec.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"{key} must be a non-empty string")
    return value


def send_text(state: SandboxState, user_id: int, text: Any) -> JSON:
    user = require_user(state, user_id)
    if not isinstance(text, str) or not text.strip():
        raise ControlError(400, "text must be a non-empty string")
    if len(text) > MAX_TEXT:  # characters, as Telegram counts (see messages.formatted)
        raise ControlError(400, f"text is longer than {MAX_TEXT} characters")
    content: JSON = {"text": text}
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    return _from_user(state, user, content)


def send_contact(state: SandboxState, user_id: int, spec: Any) -> JSON:
    """`True` shares the user's own phone; a dict shares someone else's (or nobody's) contact."""
    user = require_user(state, user_id)
    if spec is True:
        if not user.phone_number:
            raise ControlError(400, f"user {user_id} has no phone_number to share")
        contact: JSON = {
            "phone_number": user.phone_number,
            "first_name": user.first_name,
            "user_id": user.id,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
    elif isinstance(spec, dict):
        contact = {
            "phone_number": _string(spec, "phone_number", required=True),
            "first_name": _string(spec, "first_name") or "Contact",
        }
        if spec.get("last_name"):
            contact["last_name"] = _string(spec, "last_name")
        if spec.get("user_id") is not None:
            if not isinstance(spec["user_id"], int):
                raise ControlError(400, "contact.user_id must be an integer")
            if spec["user_id"] == user.id and contact["phone_number"] != user.phone_number:
                # Telegram sets a contact's user_id itself: nobody can send a card that
                # carries their own id with another number.
                raise ControlError(400, "a contact with the sender's user_id carries the "
                                        "sender's own phone_number (share it with true)")
            contact["user_id"] = spec["user_id"]
    else:
        raise ControlError(400, "contact must be true or an object with phone_number")
    return _from_user(state, user, {"contact": contact}, contact=contact)


def send_forward(state: SandboxState, user_id: int, spec: Any) -> JSON:
    user = require_user(state, user_id)
    if not isinstance(spec, dict):
        raise ControlError(400, "forward must be an object with text")
    text = _string(spec, "text", required=True)
    title = _string(spec, "from_chat_title")
    date = int(spec.get("date") or time.time())
    origin: JSON
    if title is not None:
        channel = {"id": _CHANNEL_ID, "type": "channel", "title": title}
        origin = {"type": "channel", "chat": channel, "message_id": 1, "date": date}
    else:
        name = _string(spec, "sender_user_name") or "Hidden User"
        origin = {"type": "hidden_user", "sender_user_name": name, "date": date}
    content: JSON = {"text": text, "forward_origin": origin}
    forward = {"from_chat_title": title, "origin": origin}
    return _from_user(state, user, content, forward=forward)


def send_document(state: SandboxState, user_id: int, spec: Any) -> JSON:
    user = require_user(state, user_id)
    if not isinstance(spec, dict):
        raise ControlError(400, "document must be an object with file_name and content_base64")
    file_name = _string(spec, "file_name", required=True) or ""
    try:
        data = base64.b64decode(str(spec.get("content_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "content_base64 is not valid base64") from None
    mime = _string(spec, "mime_type") or mimetypes.guess_type(file_name)[0]
    stored = state.store_file(
        "document", data, file_name=file_name, mime_type=mime or "application/octet-stream"
    )
    content: JSON = {"document": stored.document()}
    caption = _string(spec, "caption")
    if caption:
        content["caption"] = caption
    return _from_user(state, user, content, file=stored)


def send_photo(state: SandboxState, user_id: int, spec: Any) -> JSON:
    """A photo from the user, refused as Telegram's apps would refuse to send it (not an
    image, too big, odd dimensions)."""
    user = require_user(state, user_id)
    if not isinstance(spec, dict):
        raise ControlError(400, "photo must be an object with content_base64")
    try:
        data = base64.b64decode(str(spec.get("content_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "content_base64 is not valid base64") from None
    try:
        mime, width, height = check_photo(data, state.config.max_photo_bytes)
    except ApiError as exc:
        raise ControlError(400, f"not a photo Telegram accepts: {exc.description}") from None
    stored = state.store_file("photo", data, mime_type=mime, width=width, height=height)
    content: JSON = {"photo": stored.photo_sizes()}
    caption = _string(spec, "caption")
    if caption:
        content["caption"] = caption
    return _from_user(state, user, content, file=stored)


def _bot_message(state: SandboxState, user_id: int, message_id: Any) -> Message:
    if not isinstance(message_id, int):
        raise ControlError(400, "message_id must be an integer")
    message = state.find_message(user_id, message_id)
    if message is None or message.sender != "bot":
        raise ControlError(404, f"no message {message_id} from the bot in chat {user_id}")
    return message


def _button_data(message: Message, label: str) -> str:
    keyboard = (message.payload.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard:
        for button in row:
            if button.get("text") == label:
                if "callback_data" not in button:
                    raise ControlError(400, f"button {label!r} has no callback_data")
                return str(button["callback_data"])
    raise ControlError(404, f"no inline button {label!r} on message {message.message_id}")


def press(
    state: SandboxState,
    user_id: int,
    message_id: Any,
    *,
    callback_data: Any = None,
    button: Any = None,
) -> CallbackRecord:
    """Queue a callback_query update as if the user pressed an inline button."""
    user = require_user(state, user_id)
    message = _bot_message(state, user_id, message_id)
    if (callback_data is None) == (button is None):
        raise ControlError(400, "give exactly one of callback_data and button")
    if button is not None:
        if not isinstance(button, str):
            raise ControlError(400, "button must be the button's label")
        data = _button_data(message, button)
    else:
        # Any data is allowed, to play stale buttons, but Telegram's limits still hold.
        if not isinstance(callback_data, str) or not 1 <= len(callback_data.encode()) <= 64:
            raise ControlError(400, "callback_data must be 1-64 bytes")
        data = callback_data
    record = state.new_callback(user.id, message.message_id, data)
    query: JSON = {
        "id": record.id,
        "from": user.telegram(),
        "message": copy.deepcopy(message.payload),
        "chat_instance": f"{user.id}{state.config.bot_id}",
        "data": data,
    }
    state.enqueue("callback_query", query)
    return record
