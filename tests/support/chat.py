"""Talking to the bot through the sandbox's control API: sending, pressing buttons, waiting
for the bot's messages, and reading their keyboards."""

from __future__ import annotations

from typing import Any

from bot.sandbox import SandboxClient

Message = dict[str, Any]

# How long a test waits for the bot's reply or a button's answer before it fails. The suite
# runs on several workers, beside other work: a reply that takes 0.1 s alone may take several
# seconds then. Waits return as soon as the reply is there, so only a failure takes this long.
REPLY_TIMEOUT = 30.0


# --- keyboards -------------------------------------------------------------------------------


def buttons(message: Message) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message, row by row."""
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in keyboard for b in row]


def labels(message: Message) -> list[str]:
    return [label for label, _data in buttons(message)]


def callbacks(message: Message) -> list[str]:
    return [data for _label, data in buttons(message)]


# --- the chat --------------------------------------------------------------------------------


async def ask(sb: SandboxClient, uid: int, text: str, *, count: int = 1) -> list[Message]:
    """Send `text`; the bot's `count` replies to it."""
    sent = await sb.send_text(uid, text)
    return await sb.wait_for_bot_messages(uid, after=sent["message_id"], count=count)


say = ask  # the name the notices' and the rules Q&A's tests know it by


async def send(sb: SandboxClient, uid: int, text: str) -> Message:
    """Send text and return the bot's first reply to it."""
    [reply, *_rest] = await ask(sb, uid, text)
    return reply


async def press(sb: SandboxClient, uid: int, message: Message, data: str,
                *, count: int = 1) -> tuple[Message, list[Message]]:
    """Press (any callback data on `message`); the answer and the `count` new messages."""
    last = (await sb.chat(uid))[-1]["message_id"]
    answer = await sb.press(uid, message["message_id"], callback_data=data)
    new = await sb.wait_for_bot_messages(uid, after=last, count=count) if count else []
    return answer, new


async def tap(sb: SandboxClient, uid: int, label: str) -> dict[str, Any]:
    """Press the button labelled `label` on the newest bot message that has one, once one
    has it: under Telegram's per-chat limit the edit that brings it may come a second or two
    after the previous tap's answer, as it would to a person."""
    def having(messages: list[Message]) -> Message | None:
        for message in reversed(messages):
            if message["from"] == "bot" and label in labels(message):
                return message
        return None

    try:
        chat = await sb.wait_until(uid, lambda messages: having(messages) is not None)
    except TimeoutError:
        raise AssertionError(f"no button {label!r} in chat {uid}: {await sb.chat(uid)}") from None
    message = having(chat)
    assert message is not None
    answer: dict[str, Any] = await sb.press(uid, message["message_id"], button=label)
    assert answer["answered"], answer
    return answer


def latest_bot(messages: list[Message]) -> Message | None:
    from_bot = [m for m in messages if m["from"] == "bot" and not m.get("deleted")]
    return from_bot[-1] if from_bot else None


async def says(sb: SandboxClient, uid: int, text: str,
               timeout: float | None = None) -> Message:
    """The bot's latest message, once it contains `text` (sent or edited)."""
    def ok(messages: list[Message]) -> bool:
        last = latest_bot(messages)
        return last is not None and text in (last.get("text") or "")

    messages = await sb.wait_until(uid, ok, timeout=timeout)
    last = latest_bot(messages)
    assert last is not None
    return last


async def last_id(sb: SandboxClient, uid: int) -> int:
    messages = await sb.chat(uid)
    return int(messages[-1]["message_id"]) if messages else 0


async def pressed(sb: SandboxClient, uid: int, message_id: int,
                  **press: Any) -> tuple[dict[str, Any], Message]:
    """Press a button on `message_id` (button= or callback_data=) that edits that message; the
    answer and the message once edited. The edit follows the answer, under Telegram's per-chat
    limit a moment later: reading the message as soon as the answer is in would race it."""
    before = await message_now(sb, uid, message_id)
    answer: dict[str, Any] = await sb.press(uid, message_id, **press)

    def changed(messages: list[Message]) -> bool:
        return any(m["message_id"] == message_id and m != before for m in messages)

    chat = await sb.wait_until(uid, changed)
    [after] = [m for m in chat if m["message_id"] == message_id]
    return answer, after


async def message_now(sb: SandboxClient, uid: int, message_id: int) -> Message:
    """A message as it is now (edits applied)."""
    [found] = [m for m in await sb.chat(uid) if m["message_id"] == message_id]
    return found
