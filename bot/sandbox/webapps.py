"""Mini Apps in the sandbox, as a Telegram client provides them: the chat's menu button
(setChatMenuButton / getChatMenuButton) and, when the chat page opens a web_app button,
initData for its user signed with the sandbox's bot token exactly as Telegram signs it
(core.telegram.org/bots/webapps: HMAC-SHA-256 under HMAC-SHA-256("WebAppData", token)).

The chat page (static/webapp_panel.js) puts the page in a phone-sized frame with the launch
parameters in the URL's fragment and answers its web events (ready, expand, close, the back
and main buttons), as Telegram's web client does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.sandbox import actions
from bot.sandbox.models import JSON
from bot.sandbox.params import Params, bad_request, chat_id_of
from bot.sandbox.state import SandboxState

DEFAULT_MENU: JSON = {"type": "commands"}


def sign_init_data(fields: dict[str, str], token: str) -> str:
    """`fields` plus their `hash`, as a Telegram client passes them (tgWebAppData)."""
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode([*sorted(fields.items()), ("hash", digest)])


def init_data_for(state: SandboxState, user_id: int) -> str:
    user = state.users[user_id]
    profile: dict[str, Any] = {"id": user.id, "first_name": user.first_name,
                               "allows_write_to_pm": True}
    if user.last_name:
        profile["last_name"] = user.last_name
    if user.language_code:
        profile["language_code"] = user.language_code
    fields = {"query_id": "AA" + secrets.token_urlsafe(16),
              "user": json.dumps(profile, ensure_ascii=False, separators=(",", ":")),
              "auth_date": str(int(state.wall_clock()))}
    return sign_init_data(fields, state.config.token)


def _web_app_url(value: Any) -> str:
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise bad_request("WEBAPP_URL_INVALID")
    return url


async def set_chat_menu_button(state: SandboxState, params: Params) -> bool:
    button = params.json("menu_button") or DEFAULT_MENU
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app",
                                                                  "default"):
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        if not str(button.get("text") or "").strip():
            raise bad_request("menu button text must be non-empty")
        button = {"type": "web_app", "text": button["text"],
                  "web_app": {"url": _web_app_url(button.get("web_app"))}}
    key = chat_id_of(params) if params.string("chat_id") else 0  # 0: the bot's default
    if key and key not in state.users:
        raise bad_request("chat not found")
    state.menu_buttons[key] = button if button["type"] != "default" else DEFAULT_MENU
    if key:
        state.touch(key)  # the chat page redraws the chat, with its menu button
    return True


async def get_chat_menu_button(state: SandboxState, params: Params) -> JSON:
    return menu_button_of(state, chat_id_of(params) if params.string("chat_id") else 0)


def menu_button_of(state: SandboxState, chat_id: int) -> JSON:
    return state.menu_buttons.get(chat_id) or state.menu_buttons.get(0) or DEFAULT_MENU


def control_routes() -> list[tuple[str, str, Any]]:
    return [("POST", "/sandbox/users/{user_id}/webapp", open_web_app)]


async def open_web_app(request: web.Request, state: SandboxState) -> JSON:
    """What the chat page needs to open a Mini App as this user: its initData."""
    user_id = actions.require_user(state, int(request.match_info["user_id"])).id
    return {"init_data": init_data_for(state, user_id),
            "menu_button": menu_button_of(state, user_id)}
