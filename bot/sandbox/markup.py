"""reply_markup validation with Telegram's error texts."""

from __future__ import annotations

from typing import Any

from bot.sandbox.models import JSON
from bot.sandbox.params import Params, bad_request

MAX_INLINE_BUTTONS = 100
_INLINE_ACTIONS = (
    "callback_data", "url", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay", "web_app",
)  # fmt: skip
_MARKUP_JSON = "reply keyboard markup"


def reply_markup_of(params: Params) -> JSON | None:
    """The validated reply_markup of a request, or None when there is none."""
    markup = params.json("reply_markup", _MARKUP_JSON)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(f"can't parse {_MARKUP_JSON} JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_keyboard(markup["keyboard"])
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request(f"can't parse {_MARKUP_JSON} JSON object")
    return markup


def inline_keyboard_of(markup: JSON | None) -> JSON | None:
    """What Telegram echoes back in a Message: inline keyboards only."""
    if markup is not None and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _rows(keyboard: Any, field: str) -> list[list[Any]]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request(f'field "{field}" of the {_MARKUP_JSON} must be an Array of Arrays')
    return keyboard


def _check_inline_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard, "inline_keyboard")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
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
        url = button["url"]
        if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url.strip()):
            raise bad_request("BUTTON_URL_INVALID")


def _check_keyboard(keyboard: Any) -> None:
    for row in _rows(keyboard, "keyboard"):
        for button in row:
            if isinstance(button, str):
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
