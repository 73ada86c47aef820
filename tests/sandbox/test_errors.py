"""Telegram's errors, as python-telegram-bot raises them.

PTB strips "Bad Request: " and capitalises the rest (lower-casing everything after the first
letter), so "Bad Request: can't parse entities: Unsupported start tag" reads
"Can't parse entities: unsupported start tag".
"""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError

from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import BOB
from tests.sandbox.util import png


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d or "?", callback_data=d) for d in data]])


@pytest.mark.parametrize(
    ("text", "parse_mode", "message"),
    [
        ("", None, "^Message text is empty$"),
        ("   \n ", None, "^Message text is empty$"),
        ("<b> </b>", ParseMode.HTML, "^Message text is empty$"),
        ("x" * 4097, None, "^Message is too long$"),
        ("😀" * 4097, None, "^Message is too long$"),  # Telegram counts characters
        ("Hello <foo>bar</foo>", ParseMode.HTML, (
            '^Can\'t parse entities: unsupported start tag "foo" at byte offset 6$'
        )),
        ("<b>bold", ParseMode.HTML, "can't find end tag corresponding to start tag \"b\""),
        ("a </b>", ParseMode.HTML, "unexpected end tag at byte offset 2"),
        ("x", "Klingon", "^Unsupported parse_mode$"),
    ],
)  # fmt: skip
async def test_bad_texts(
    bot: Bot, alice: int, text: str, parse_mode: str | None, message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        await bot.send_message(alice, text, parse_mode=parse_mode)


async def test_length_counts_text_after_parsing(bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert sent.text == "x" * 4096
    # Telegram (tdlib: utf8_length against message_text_length_max) counts characters, not
    # UTF-16 units: 4,096 emoji are one message, as a live test showed.
    assert (await bot.send_message(alice, "😀" * 4096)).text == "😀" * 4096
    header = "<b>📢 Notice</b>\n"
    assert len((await bot.send_message(alice, header + "😀" * 2040,
                                       parse_mode=ParseMode.HTML)).text) == 9 + 2040


async def test_caption_counts_characters_too(bot: Bot, alice: int) -> None:
    sent = await bot.send_photo(alice, png(2, 2), caption="😀" * 1024)
    assert sent.caption == "😀" * 1024


async def test_caption_too_long(bot: Bot, alice: int) -> None:
    with pytest.raises(BadRequest, match="^Message caption is too long$"):
        await bot.send_photo(alice, png(2, 2), caption="c" * 1025)
    with pytest.raises(BadRequest, match="^Message caption is too long$"):
        await bot.send_document(alice, b"x", filename="a.txt", caption="c" * 1025)


@pytest.mark.parametrize("data", ["x" * 65, "数" * 22, ""])
async def test_callback_data_over_64_bytes_or_empty(bot: Bot, alice: int, data: str) -> None:
    with pytest.raises(BadRequest, match="^Button_data_invalid$"):
        await bot.send_message(alice, "choose", reply_markup=keyboard(data))


async def test_callback_data_of_64_bytes_is_fine(bot: Bot, alice: int) -> None:
    await bot.send_message(alice, "choose", reply_markup=keyboard("x" * 64, "数" * 21))


async def test_more_than_100_inline_buttons(bot: Bot, alice: int) -> None:
    rows = [
        [InlineKeyboardButton(f"{r}.{c}", callback_data=f"{r}.{c}") for c in range(8)]
        for r in range(13)
    ]
    with pytest.raises(BadRequest, match="^Reply markup is too long$"):
        await bot.send_message(alice, "104 buttons", reply_markup=InlineKeyboardMarkup(rows))
    await bot.send_message(alice, "96 buttons", reply_markup=InlineKeyboardMarkup(rows[:12]))


async def test_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.send_message(999, "hello")
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.get_chat(999)


async def test_blocked_user(sb: SandboxClient, bot: Bot, alice: int) -> None:
    await sb.block(alice)
    with pytest.raises(Forbidden, match="^Forbidden: bot was blocked by the user$"):
        await bot.send_message(alice, "hello")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_chat_action(alice, "typing")
    await sb.send_text(alice, "/start")  # writing again unblocks, like "Restart"
    await bot.send_message(alice, "welcome back")
    assert not (await sb.users())[0]["blocked"]


async def test_user_who_never_wrote(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(BOB, "Bob")
    with pytest.raises(
        Forbidden, match="^Forbidden: bot can't initiate conversation with a user$"
    ):
        await bot.send_message(BOB, "hello")


async def test_edit_errors(bot: Bot, alice: int) -> None:
    sent = await bot.send_message(
        alice, "<b>hi</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    with pytest.raises(BadRequest, match="^Message is not modified: specified new message"):
        await bot.edit_message_text("<b>hi</b>", alice, sent.message_id, parse_mode="HTML",
                                    reply_markup=keyboard("a"))  # fmt: skip
    with pytest.raises(BadRequest, match="^Message is not modified"):
        await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="^Message to edit not found$"):
        await bot.edit_message_text("new", alice, 999)
    with pytest.raises(BadRequest, match="^Message can't be edited$"):
        await bot.edit_message_text("new", alice, 1)  # Alice's own /start
    # Same text but bold → plain is a change; so is dropping the keyboard.
    await bot.edit_message_text("hi", alice, sent.message_id, reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("hi", alice, sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None


async def test_delete_errors(bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "bye")
    assert await bot.delete_message(alice, sent.message_id) is True
    with pytest.raises(BadRequest, match="^Message to delete not found$"):
        await bot.delete_message(alice, sent.message_id)
    with pytest.raises(BadRequest, match="^Message to edit not found$"):
        await bot.edit_message_text("again", alice, sent.message_id)


async def test_unknown_callback_query(bot: Bot) -> None:
    with pytest.raises(
        BadRequest, match="^Query is too old and response timeout expired or query id is invalid$"
    ):
        await bot.answer_callback_query("12345")


async def test_unknown_file(bot: Bot, alice: int) -> None:
    with pytest.raises(BadRequest, match="^Invalid file_id$"):
        await bot.get_file("nope")
    with pytest.raises(BadRequest, match="^Wrong file identifier/http url specified$"):
        await bot.send_photo(alice, "nope")


async def test_wrong_token_and_unknown_method(server: SandboxServer, bot: Bot) -> None:
    wrong = Bot("654321:WRONG", base_url=server.bot_base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        async with wrong:  # initialize() calls getMe, and shuts the bot down on failure
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    async with httpx.AsyncClient(base_url=server.url) as http:
        wrong_token = await http.post("/bot1:x/getMe")
        unknown = await http.post(f"/bot{server.config.token}/sendTelepathy")
    assert (wrong_token.status_code, wrong_token.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_raw_error_body(server: SandboxServer, alice: int) -> None:
    async with httpx.AsyncClient(base_url=f"{server.url}/bot{server.config.token}") as http:
        response = await http.post("/sendMessage", data={"chat_id": str(alice), "text": ""})
        blocked = await http.post("/sendMessage", json={"chat_id": 424242, "text": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert blocked.json()["description"] == "Bad Request: chat not found"


async def test_bad_request_is_caught_before_network_error(bot: Bot) -> None:
    # BadRequest subclasses NetworkError: the sandbox must answer 400, never 5xx, for these.
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(999, "x")
    assert type(caught.value) is BadRequest
