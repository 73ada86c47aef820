"""Bot API methods that send, edit and delete messages, and answer callback queries."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.html import EntityParseError, parse_html, trim, utf16_length
from bot.sandbox.markup import inline_keyboard_of, reply_markup_of
from bot.sandbox.models import JSON, Message, User
from bot.sandbox.params import (
    ApiError,
    Params,
    bad_request,
    chat_id_of,
    forbidden,
    too_many_requests,
)
from bot.sandbox.state import SandboxState

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)


def recipient(state: SandboxState, chat_id: int) -> User:
    """The user behind a private chat the bot may write to, or Telegram's refusal."""
    user = state.users.get(chat_id)
    if user is None:
        raise bad_request("chat not found")
    if user.blocked:
        raise forbidden("bot was blocked by the user")
    if not user.started:
        raise forbidden("bot can't initiate conversation with a user")
    return user


def formatted(params: Params, field: str, limit: int, too_long: str) -> tuple[str, list[JSON]]:
    """Text (or caption) after parse_mode, trimmed like Telegram, with its entities."""
    raw = params.string(field) or ""
    parse_mode = (params.string("parse_mode") or "").strip()
    entities: list[JSON] = []
    if parse_mode.lower() == "html":
        try:
            raw, entities = parse_html(raw)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif parse_mode and parse_mode.lower() not in ("markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    else:
        # Markdown is not used by this bot: its text is kept as written (a known gap).
        explicit = params.json("entities" if field == "text" else "caption_entities")
        entities = list(explicit) if isinstance(explicit, list) else []
    text, entities = trim(raw, entities)
    # Telegram counts characters (tdlib: utf8_length(text) > message_text_length_max), not
    # the UTF-16 units that entity offsets use: 4,096 emoji fit in one message.
    if len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def within_limits(state: SandboxState, chat_id: int) -> None:
    """Take the call's token from the global and the chat's bucket, or answer 429 as Telegram
    does. Sends, edits, callback answers and chat actions all count."""
    retry_after = state.limiter.acquire(chat_id)
    if retry_after is not None:
        state.stats.flood_limited[chat_id] += 1
        raise too_many_requests(retry_after)


def deliver(state: SandboxState, user: User, content: JSON, **meta: Any) -> Message:
    """Store a message from the bot, within the rate limits."""
    within_limits(state, user.id)
    for key in ("entities", "caption_entities"):
        if key in content:
            content[key] = _mentions_resolved(state, content[key])
    message = state.add_message(user.id, "bot", content, **meta)
    state.stats.messages_per_chat[user.id] += 1
    return message


def _mentions_resolved(state: SandboxState, entities: list[JSON]) -> list[JSON]:
    """A text_mention carries the user it names; a link to a user Telegram does not know
    stays plain text."""
    kept = []
    for entity in entities:
        if entity.get("type") == "text_mention":
            named = state.users.get(int(entity["user"]["id"]))
            if named is None:
                continue
            entity = {**entity, "user": named.telegram()}
        kept.append(entity)
    return kept


def common_content(state: SandboxState, params: Params, chat_id: int, markup: JSON | None) -> JSON:
    """The fields every sent message shares: keyboard, reply, protection."""
    content: JSON = {}
    inline = inline_keyboard_of(markup)
    if inline is not None:
        content["reply_markup"] = inline
    reply = params.json("reply_parameters")
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        target = state.find_message(chat_id, int(reply["message_id"]))
        if target is not None:
            replied = copy.deepcopy(target.payload)
            replied.pop("reply_to_message", None)
            content["reply_to_message"] = replied
        elif not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
    if params.boolean("protect_content"):
        content["has_protected_content"] = True
    return content


async def send_message(state: SandboxState, params: Params) -> JSON:
    text, entities = formatted(params, "text", MAX_TEXT, "message is too long")
    if not text:
        raise bad_request("message text is empty")
    markup = reply_markup_of(params)
    user = recipient(state, chat_id_of(params))
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    preview = params.json("link_preview_options")
    if isinstance(preview, dict) and preview:
        content["link_preview_options"] = preview
    content.update(common_content(state, params, user.id, markup))
    message = deliver(
        state,
        user,
        content,
        parse_mode=params.string("parse_mode"),
        source=params.string("text"),
        reply_markup=markup,
    )
    return message.payload


def _editable(state: SandboxState, params: Params) -> Message:
    if params.has("inline_message_id"):
        raise bad_request("message to edit not found")  # no inline messages in a private sandbox
    chat_id = chat_id_of(params)
    message = state.find_message(chat_id, params.required_integer("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if message.sender != "bot":
        raise bad_request("message can't be edited")
    return message


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _apply_edit(state: SandboxState, message: Message, changes: JSON, markup: JSON | None) -> JSON:
    for key in ("entities", "caption_entities"):
        if changes.get(key):
            changes[key] = _mentions_resolved(state, changes[key])
    payload = message.payload
    current = {key: payload.get(key) for key in changes}
    inline = inline_keyboard_of(markup)
    if current == changes and payload.get("reply_markup") == inline:
        raise _not_modified()
    within_limits(state, message.chat_id)
    for key, value in changes.items():
        if value:
            payload[key] = value
        else:
            payload.pop(key, None)
    if inline is None:
        payload.pop("reply_markup", None)  # an edit without reply_markup removes the keyboard
    else:
        payload["reply_markup"] = inline
    payload["edit_date"] = int(state.wall_clock())
    message.reply_markup = markup
    message.edited = True
    state.touch(message.chat_id)
    return copy.deepcopy(payload)


async def edit_message_text(state: SandboxState, params: Params) -> JSON:
    text, entities = formatted(params, "text", MAX_TEXT, "message is too long")
    if not text:
        raise bad_request("message text is empty")
    markup = reply_markup_of(params)
    message = _editable(state, params)
    if "text" not in message.payload:
        raise bad_request("there is no text in the message to edit")
    result = _apply_edit(state, message, {"text": text, "entities": entities or None}, markup)
    message.parse_mode, message.source = params.string("parse_mode"), params.string("text")
    return result


async def edit_message_caption(state: SandboxState, params: Params) -> JSON:
    caption, entities = formatted(params, "caption", MAX_CAPTION, "message caption is too long")
    markup = reply_markup_of(params)
    message = _editable(state, params)
    if message.file is None:
        raise bad_request("there is no caption in the message to edit")
    changes = {"caption": caption or None, "caption_entities": entities or None}
    result = _apply_edit(state, message, changes, markup)
    message.parse_mode, message.source = params.string("parse_mode"), params.string("caption")
    return result


async def edit_message_reply_markup(state: SandboxState, params: Params) -> JSON:
    markup = reply_markup_of(params)
    message = _editable(state, params)
    return _apply_edit(state, message, {}, markup)


async def delete_message(state: SandboxState, params: Params) -> bool:
    chat_id = chat_id_of(params)
    message = state.find_message(chat_id, params.required_integer("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    state.touch(chat_id)
    return True


def _source_message(state: SandboxState, params: Params, verb: str) -> Message:
    from_chat = chat_id_of(params, "from_chat_id")
    if from_chat not in state.users:
        raise bad_request("chat not found")
    message = state.find_message(from_chat, params.required_integer("message_id"))
    if message is None:
        raise bad_request(f"message to {verb} not found")
    return message


_COPIED_KEYS = ("text", "entities", "photo", "document", "caption", "caption_entities", "contact")


async def copy_message(state: SandboxState, params: Params) -> JSON:
    source = _source_message(state, params, "copy")
    markup = reply_markup_of(params)
    user = recipient(state, chat_id_of(params))
    content = {k: copy.deepcopy(v) for k, v in source.payload.items() if k in _COPIED_KEYS}
    if params.has("caption") and source.file is not None:
        caption, entities = formatted(
            params, "caption", MAX_CAPTION, "message caption is too long"
        )
        content.update(caption=caption, caption_entities=entities)
    content.update(common_content(state, params, user.id, markup))
    message = deliver(state, user, content, reply_markup=markup, file=source.file)
    return {"message_id": message.message_id}


async def forward_message(state: SandboxState, params: Params) -> JSON:
    source = _source_message(state, params, "forward")
    user = recipient(state, chat_id_of(params))
    content = {k: copy.deepcopy(v) for k, v in source.payload.items() if k in _COPIED_KEYS}
    content["forward_origin"] = {
        "type": "user",
        "sender_user": source.payload["from"],
        "date": source.date,
    }
    if params.boolean("protect_content"):
        content["has_protected_content"] = True
    message = deliver(state, user, content, file=source.file)
    return message.payload


async def send_chat_action(state: SandboxState, params: Params) -> bool:
    action = params.string("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    user = recipient(state, chat_id_of(params))
    within_limits(state, user.id)
    return True


async def answer_callback_query(state: SandboxState, params: Params) -> bool:
    text = params.string("text")
    if text is not None and utf16_length(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record = state.answerable_callback(params.required_string("callback_query_id"))
    if record is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    within_limits(state, record.user_id)
    record.answer = {
        "text": text,
        "show_alert": params.boolean("show_alert"),
        "url": params.string("url"),
    }
    state.notify()
    return True
