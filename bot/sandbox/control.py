"""The JSON control API under /sandbox/: play users, read chats, inject faults, see stats."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox import actions, webapps
from bot.sandbox.actions import ControlError
from bot.sandbox.botapi import STATE_KEY
from bot.sandbox.hooks import DemoHooks
from bot.sandbox.models import JSON
from bot.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request, SandboxState], Awaitable[Any]]
STATIC_DIR = Path(__file__).parent / "static"
MAX_WAIT = 60.0
_SEND_KINDS = ("text", "contact", "forward", "document", "photo")


def _control(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Run a control handler: its result becomes JSON, a ControlError a JSON error."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request, request.app[STATE_KEY])
        except ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        raise ControlError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be a number") from None


def _user_id(request: web.Request) -> int:
    return _int(request.match_info["user_id"], "user id")


async def create_user(request: web.Request, state: SandboxState) -> JSON:
    body = await _body(request)
    first_name = body.get("first_name")
    if not isinstance(first_name, str) or not first_name:
        raise ControlError(400, "first_name must be a non-empty string")
    user_id = _int(body.get("user_id"), "user_id")
    if user_id <= 0:
        raise ControlError(400, "user_id must be positive")
    # Fields left out keep their value (an explicit null clears one).
    existing = state.users.get(user_id)
    optional = {}
    for key in ("last_name", "language_code", "phone_number"):
        value = body[key] if key in body else getattr(existing, key, None)
        if value is not None and not isinstance(value, str):
            raise ControlError(400, f"{key} must be a string")
        optional[key] = value
    return state.upsert_user(user_id, first_name, **optional).control()


async def list_users(request: web.Request, state: SandboxState) -> list[JSON]:
    return [user.control() for user in state.users.values()]


async def send(request: web.Request, state: SandboxState) -> JSON:
    user_id, body = _user_id(request), await _body(request)
    kinds = [kind for kind in _SEND_KINDS if kind in body]
    if len(kinds) != 1:
        raise ControlError(400, "give exactly one of: " + ", ".join(_SEND_KINDS))
    sender = {
        "text": actions.send_text,
        "contact": actions.send_contact,
        "forward": actions.send_forward,
        "document": actions.send_document,
        "photo": actions.send_photo,
    }[kinds[0]]
    return sender(state, user_id, body[kinds[0]])


async def press(request: web.Request, state: SandboxState) -> JSON:
    user_id, body = _user_id(request), await _body(request)
    record = actions.press(
        state,
        user_id,
        body.get("message_id"),
        callback_data=body.get("callback_data"),
        button=body.get("button"),
    )
    timeout = _float(body.get("timeout", state.config.callback_answer_timeout), "timeout")
    answered = await state.wait_for(lambda: record.answer is not None, timeout)
    if not answered or record.answer is None:
        return {"answered": False, "callback_query_id": record.id}
    return {"answered": True, "callback_query_id": record.id, **record.answer}


async def redeliver(request: web.Request, state: SandboxState) -> JSON:
    update_id = _int(request.match_info["update_id"], "update id")
    if not state.redeliver(update_id):
        raise ControlError(404, f"no recent update {update_id}")
    return {"update_id": update_id}


async def chat(request: web.Request, state: SandboxState) -> JSON:
    user_id = _user_id(request)
    actions.require_user(state, user_id)
    after = _int(request.query.get("after", 0), "after")
    wait = min(_float(request.query.get("wait", 0), "wait"), MAX_WAIT)
    since = request.query.get("since_version")
    since_version = _int(since, "since_version") if since is not None else None
    messages = state.chat(user_id)

    def ready() -> bool:
        if since_version is not None:
            return state.chat_versions.get(user_id, 0) > since_version
        return any(m.sender == "bot" and m.message_id > after for m in messages.values())

    if wait > 0:
        await state.wait_for(ready, wait)
    return {
        "messages": [m.control() for m in messages.values() if m.message_id > after],
        "version": state.chat_versions.get(user_id, 0),
        "menu_button": webapps.menu_button_of(state, user_id),
    }


async def block(request: web.Request, state: SandboxState) -> JSON:
    user = actions.require_user(state, _user_id(request))
    actions.set_blocked(state, user, True)
    return user.control()


async def unblock(request: web.Request, state: SandboxState) -> JSON:
    user = actions.require_user(state, _user_id(request))
    actions.set_blocked(state, user, False)
    return user.control()


async def get_file(request: web.Request, state: SandboxState) -> web.Response:
    stored = state.files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError(404, "unknown file_id")
    # A file_id names its content (its digest is part of it): the chat page, which draws the
    # chat again on each new message, need not fetch a photo twice.
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )


async def set_faults(request: web.Request, state: SandboxState) -> JSON:
    try:
        return state.faults.configure(await _body(request)).describe()
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc)) from None


async def get_faults(request: web.Request, state: SandboxState) -> JSON:
    return state.faults.settings.describe()


async def stats(request: web.Request, state: SandboxState) -> JSON:
    return state.stats.control()


async def reset(request: web.Request, state: SandboxState) -> JSON:
    state.reset()
    return {"ok": True}


async def info(request: web.Request, state: SandboxState) -> JSON:
    return {
        "bot": state.bot_user(),
        "webhook": state.webhook.info(len(state.updates)),
        "pending_updates": len(state.updates),
    }


def _demo(state: SandboxState) -> DemoHooks:
    if state.demo is None:
        raise ControlError(404, "no demo is attached to this sandbox (run `selfreport demo`)")
    return state.demo


async def demo_people(request: web.Request, state: SandboxState) -> list[JSON]:
    return await _demo(state).people()


async def demo_clock(request: web.Request, state: SandboxState) -> JSON:
    return await _demo(state).clock()


async def demo_run_at(request: web.Request, state: SandboxState) -> JSON:
    hooks, body = _demo(state), await _body(request)
    at = body.get("at")
    if not isinstance(at, str) or not at or len(at) > 40:
        raise ControlError(400, "at must be an ISO date and time, e.g. 2026-11-30T07:30")
    try:
        return await hooks.run_at(at)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None


async def index(request: web.Request) -> web.StreamResponse:
    page = STATIC_DIR / "index.html"
    if not page.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(page)


def add_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/sandbox/users", create_user),
        ("GET", "/sandbox/users", list_users),
        ("POST", "/sandbox/users/{user_id}/send", send),
        ("POST", "/sandbox/users/{user_id}/press", press),
        ("GET", "/sandbox/users/{user_id}/chat", chat),
        ("POST", "/sandbox/users/{user_id}/block", block),
        ("POST", "/sandbox/users/{user_id}/unblock", unblock),
        ("GET", "/sandbox/files/{file_id}", get_file),
        ("POST", "/sandbox/faults", set_faults),
        ("GET", "/sandbox/faults", get_faults),
        ("GET", "/sandbox/stats", stats),
        ("POST", "/sandbox/reset", reset),
        ("GET", "/sandbox/info", info),
        ("POST", "/sandbox/updates/{update_id}/redeliver", redeliver),
        ("GET", "/sandbox/demo/people", demo_people),
        ("GET", "/sandbox/demo/clock", demo_clock),
        ("POST", "/sandbox/demo/clock", demo_run_at),
    ] + webapps.control_routes()
    for method, path, handler in routes:
        app.router.add_route(method, path, _control(handler))
    app.router.add_get("/", index)
    # The page's script and style, no build step (see README, "Try it in a browser").
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
