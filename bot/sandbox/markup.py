"""reply_markup validation with Telegram's limits and error texts.

Telegram refuses a markup whose JSON is over 10 kB or whose inline keyboard has more than 100
buttons ("reply markup is too long") or more than 8 in a row; a button needs a non-empty text;
callback_data is 1-64 bytes ("BUTTON_DATA_INVALID"); a URL button takes http(s):// and tg://
links only ("BUTTON_URL_INVALID"), and a tg://user?id= link only for a user whose privacy
settings allow it, which the sandbox treats as never ("BUTTON_USER_PRIVACY_RESTRICTED": a
mention belongs in the text, as <a href="tg://user?id=…">, which becomes a text_mention).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.models import JSON
from bot.sandbox.params import Params, bad_request

MAX_INLINE_BUTTONS = 100
MAX_INLINE_ROW = 8
MAX_KEYBOARD_BUTTONS = 300
MAX_KEYBOARD_ROW = 12
MAX_MARKUP_BYTES = 10 * 1024
_INLINE_ACTIONS = (
    "callback_data", "url", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay", "web_app",
)  # fmt: skip
_MARKUP_JSON = "reply keyboard markup"
_TOO_LONG = "reply markup is too long"
_USER_LINK = re.compile(r"tg://user\?id=\d+", re.IGNORECASE)


def reply_markup_of(params: Params) -> JSON | None:
    """The validated reply_markup of a request, or None when there is none."""
    markup = params.json("reply_markup", _MARKUP_JSON)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(f"can't parse {_MARKUP_JSON} JSON object")
    if markup_size(markup) > MAX_MARKUP_BYTES:
        raise bad_request(_TOO_LONG)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_keyboard(markup["keyboard"])
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request(f"can't parse {_MARKUP_JSON} JSON object")
    return markup


def markup_size(markup: Any) -> int:
    """The markup's size as Telegram weighs it: its compact JSON in UTF-8 bytes."""
    return len(json.dumps(markup, ensure_ascii=False, separators=(",", ":")).encode())


def inline_keyboard_of(markup: JSON | None) -> JSON | None:
    """What Telegram echoes back in a Message: inline keyboards only."""
    if markup is not None and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _rows(keyboard: Any, field: str, *, per_row: int, total: int) -> list[list[Any]]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request(f'field "{field}" of the {_MARKUP_JSON} must be an Array of Arrays')
    if sum(len(row) for row in keyboard) > total or any(len(row) > per_row for row in keyboard):
        raise bad_request(_TOO_LONG)
    return keyboard


def _check_text(button: dict[str, Any], kind: str) -> None:
    if not isinstance(button.get("text"), str):
        raise bad_request(f'can\'t parse {kind} button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")


def _check_inline_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard, "inline_keyboard", per_row=MAX_INLINE_ROW, total=MAX_INLINE_BUTTONS)
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    _check_text(button, "inline keyboard")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        check_button_url(button["url"])


def check_button_url(url: Any) -> None:
    """Telegram's rule for a URL button: an http(s) address with a host, or a tg:// link."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        raise bad_request("BUTTON_URL_INVALID")
    if _USER_LINK.fullmatch(url):
        raise bad_request("BUTTON_USER_PRIVACY_RESTRICTED")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise bad_request("BUTTON_URL_INVALID") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname and "." in parts.hostname:
        return
    if scheme == "tg" and parts.netloc:
        return
    raise bad_request("BUTTON_URL_INVALID")


def _check_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard, "keyboard", per_row=MAX_KEYBOARD_ROW, total=MAX_KEYBOARD_BUTTONS)
    for row in rows:
        for button in row:
            if isinstance(button, str):
                if not button.strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
                continue
            if not isinstance(button, dict):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            _check_text(button, "keyboard")
