"""Messages the bot sends, edits and deletes, as PTB sees them and as the transcript shows."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.sandbox import SandboxClient
from tests.sandbox.util import jpeg, png


async def test_send_message_html_and_transcript(sb: SandboxClient, bot: Bot, alice: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("All well", callback_data="r:ok")]])
    sent = await bot.send_message(
        alice,
        "Hi <b>Alice</b> &amp; <a href='https://example.org/x'>family</a>",
        parse_mode="HTML",
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        disable_notification=True,
        protect_content=True,
    )
    assert sent.text == "Hi Alice & family"
    assert sent.entities == (
        MessageEntity("bold", 3, 5),
        MessageEntity("text_link", 11, 6, url="https://example.org/x"),
    )
    assert sent.reply_markup == markup
    assert sent.has_protected_content is True
    assert sent.chat.first_name == "Alice"

    (message,) = await sb.wait_for_bot_messages(alice, after=1)
    assert message["message_id"] == sent.message_id
    assert message["text"] == "Hi Alice & family"
    assert message["parse_mode"] == "HTML"
    assert message["html"].startswith("Hi <b>Alice</b>")
    assert message["reply_markup"] == markup.to_dict()
    assert message["edited"] is False and message["deleted"] is False


async def test_reply_keyboards_are_kept_in_the_transcript_only(
    sb: SandboxClient, bot: Bot, alice: int
) -> None:
    share = ReplyKeyboardMarkup([[KeyboardButton("Share my phone", request_contact=True)]])
    sent = await bot.send_message(alice, "Please share", reply_markup=share)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    await bot.send_message(alice, "Thanks", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(alice, "Temperature?", reply_markup=ForceReply())
    messages = await sb.wait_for_bot_messages(alice, after=1, count=3)
    assert [m["reply_markup"] for m in messages] == [
        share.to_dict(),
        {"remove_keyboard": True},
        {"force_reply": True},
    ]


async def test_reply_parameters(bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "answer", reply_parameters=ReplyParameters(1))
    assert sent.reply_to_message is not None and sent.reply_to_message.text == "/start"


async def test_edits_and_deletes_show_in_the_transcript(
    sb: SandboxClient, bot: Bot, alice: int
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
    first = await bot.send_message(alice, "Question?", reply_markup=markup)
    second = await bot.send_message(alice, "to delete")
    edited = await bot.edit_message_text(
        "<i>Answered</i>", alice, first.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert edited.text == "Answered" and edited.edit_date is not None
    await bot.delete_message(alice, second.message_id)
    transcript = await sb.chat(alice, after=1)
    assert transcript[0]["text"] == "Answered" and transcript[0]["edited"] is True
    assert transcript[0]["reply_markup"] is None
    assert transcript[1]["deleted"] is True


async def test_edit_reply_markup(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Pick")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    edited = await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=markup)
    assert isinstance(edited, Message) and edited.reply_markup == markup and edited.text == "Pick"


async def test_send_photo_upload_and_download(sb: SandboxClient, bot: Bot, alice: int) -> None:
    image = png(64, 48)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Read", callback_data="n:1:read")]])
    sent = await bot.send_photo(
        alice, image, caption="<b>Trend</b>", parse_mode="HTML", reply_markup=markup
    )
    assert sent.reply_markup == markup  # JSON fields survive the multipart encoding
    largest = sent.photo[-1]
    assert (largest.width, largest.height, largest.file_size) == (64, 48, len(image))
    assert sent.caption == "Trend"
    assert sent.caption_entities == (MessageEntity("bold", 0, 5),)

    (message,) = await sb.wait_for_bot_messages(alice, after=1)
    assert message["caption"] == "Trend"
    assert message["photo"]["file_id"] == largest.file_id
    assert message["photo"]["mime_type"] == "image/png"
    assert await sb.file(largest.file_id) == image

    file = await bot.get_file(largest.file_id)
    assert bytes(await file.download_as_bytearray()) == image
    again = await bot.send_photo(alice, largest.file_id)  # resend by file_id
    assert again.photo[-1].file_id == largest.file_id


async def test_jpeg_size_is_read(bot: Bot, alice: int) -> None:
    sent = await bot.send_photo(alice, jpeg(800, 600))
    assert (sent.photo[-1].width, sent.photo[-1].height) == (800, 600)


async def test_send_document(sb: SandboxClient, bot: Bot, alice: int) -> None:
    content = b"\x50\x4b\x03\x04 not really a zip"
    sent = await bot.send_document(alice, content, filename="export.xlsx", caption="Export")
    assert sent.document is not None
    assert sent.document.file_name == "export.xlsx"
    assert sent.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert sent.document.file_size == len(content)
    (message,) = await sb.wait_for_bot_messages(alice, after=1)
    assert message["document"]["file_name"] == "export.xlsx"
    assert await sb.file(message["document"]["file_id"]) == content
    resent = await bot.send_document(alice, sent.document.file_id)
    assert resent.document is not None and resent.document.file_id == sent.document.file_id


async def test_copy_and_forward(sb: SandboxClient, bot: Bot, alice: int) -> None:
    await sb.create_user(2002, "Bob")
    await sb.send_text(2002, "hello")
    notice = await bot.send_message(alice, "Notice")
    copied = await bot.copy_message(2002, alice, notice.message_id)
    forwarded = await bot.forward_message(2002, alice, notice.message_id)
    assert forwarded.text == "Notice" and forwarded.forward_origin is not None
    bob_chat = await sb.chat(2002)
    assert [m["text"] for m in bob_chat] == ["hello", "Notice", "Notice"]
    assert bob_chat[1]["message_id"] == copied.message_id


async def test_chat_action_commands_and_get_chat(bot: Bot, alice: int) -> None:
    assert await bot.send_chat_action(alice, "typing") is True
    commands = [BotCommand("start", "Start"), BotCommand("report", "Daily report")]
    assert await bot.set_my_commands(commands) is True
    assert await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    assert await bot.set_my_commands(
        [BotCommand("admin", "Admin")], scope=BotCommandScopeChat(alice)
    )
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(language_code="zh") == (BotCommand("start", "开始"),)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(alice)) == (
        BotCommand("admin", "Admin"),
    )
    assert await bot.delete_my_commands(language_code="zh") is True
    assert await bot.get_my_commands(language_code="zh") == ()
    chat = await bot.get_chat(alice)
    assert (chat.id, chat.type, chat.first_name, chat.last_name) == (
        alice,
        "private",
        "Alice",
        "Liu",
    )
