"""The Bot API endpoint `/bot<token>/<method>`: authentication, faults, dispatch, answers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox import media, messages, updates, webapps
from bot.sandbox.limits import Fault
from bot.sandbox.models import JSON
from bot.sandbox.params import ApiError, Params, Upload, bad_request, chat_id_of
from bot.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

Method = Callable[[SandboxState, Params], Awaitable[Any]]
STATE_KEY = web.AppKey("sandbox_state", SandboxState)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


async def get_me(state: SandboxState, params: Params) -> JSON:
    return {
        **state.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_chat(state: SandboxState, params: Params) -> JSON:
    user = state.users.get(chat_id_of(params))
    if user is None:
        raise bad_request("chat not found")
    return {
        **user.private_chat(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), params.string("language_code") or ""


async def set_my_commands(state: SandboxState, params: Params) -> bool:
    commands = params.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _commands_key(params)
    state.commands[key] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(state: SandboxState, params: Params) -> list[JSON]:
    return state.commands.get(_commands_key(params), [])


async def delete_my_commands(state: SandboxState, params: Params) -> bool:
    state.commands.pop(_commands_key(params), None)
    return True


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getChat": get_chat,
    "getUpdates": updates.get_updates,
    "setWebhook": updates.set_webhook,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
    "sendMessage": messages.send_message,
    "editMessageText": messages.edit_message_text,
    "editMessageCaption": messages.edit_message_caption,
    "editMessageReplyMarkup": messages.edit_message_reply_markup,
    "deleteMessage": messages.delete_message,
    "copyMessage": messages.copy_message,
    "forwardMessage": messages.forward_message,
    "sendChatAction": messages.send_chat_action,
    "answerCallbackQuery": messages.answer_callback_query,
    "sendPhoto": media.send_photo,
    "sendDocument": media.send_document,
    "getFile": media.get_file,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": webapps.set_chat_menu_button,
    "getChatMenuButton": webapps.get_chat_menu_button,
}
# Telegram matches method names case-insensitively.
_BY_LOWER = {name.lower(): name for name in METHODS}

UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request")
            values.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    uploads[key] = Upload(value.filename, value.content_type, data)
                else:
                    values[key] = value
    return Params(values, uploads)


def _answer(state: SandboxState, error: ApiError | None, result: Any = None) -> web.Response:
    if error is None:
        return web.json_response({"ok": True, "result": result})
    state.stats.record_error(error.code)
    return web.json_response(error.body(), status=error.code)


def _fault_error(fault: Fault) -> ApiError:
    if fault.status == 429:
        return ApiError(
            429,
            f"Too Many Requests: retry after {fault.retry_after}",
            {"retry_after": fault.retry_after},
        )
    if fault.status == 502:
        return ApiError(502, "Bad Gateway")
    return ApiError(500, "Internal Server Error")


async def handle_bot_api(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if request.match_info["token"] != state.config.token:
        return _answer(state, UNAUTHORIZED)
    name = _BY_LOWER.get(request.match_info["method"].lower())
    state.stats.calls[name or request.match_info["method"]] += 1
    if name is None:
        return _answer(state, NOT_FOUND)
    fault = state.faults.decide(name)
    if fault is not None and fault.status is not None:
        # An injected failure: the call is not carried out at all.
        state.stats.faults["429" if fault.status == 429 else "5xx"] += 1
        await asyncio.sleep(fault.delay)
        return _answer(state, _fault_error(fault))
    try:
        result = await METHODS[name](state, await read_params(request))
        error = None
    except ApiError as exc:
        result, error = None, exc
    if fault is not None and fault.delay > 0:
        state.stats.faults["delayed"] += 1
        await asyncio.sleep(fault.delay)
    if error is not None:
        logger.debug("%s -> %s %s", name, error.code, error.description)
    return _answer(state, error, result)


async def handle_file_download(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if request.match_info["token"] != state.config.token:
        return web.json_response(UNAUTHORIZED.body(), status=401)
    stored = state.files_by_path.get(request.match_info["file_path"])
    if stored is None:
        return web.json_response(NOT_FOUND.body(), status=404)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", handle_bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file_download)
