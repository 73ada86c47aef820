"""The dashboard's API under /webapp/api/: each call is one service call, authorised and
audited by the same code as its chat command (/status, /remind, the alert's "handled"
button, /notices, /export)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from telegram import InputFile

from bot.i18n import use_locale
from bot.outbox.send import send as send_items
from bot.render import alerts as render_alerts
from bot.render import export as render_export
from bot.render import leaders as render_leaders
from bot.render.payloads import toast
from bot.render.webapp import labels, refused
from bot.services.digest import actions, alerts
from bot.services.digest.status import StatusRefusal
from bot.services.notices import figures
from bot.services.reports import export
from bot.services.webapp import dashboard
from bot.webapp import views
from bot.webapp.auth import BOT_KEY, Caller, caller, sign_in

_REFUSAL_STATUS = {StatusRefusal.NOT_ALLOWED: 403, StatusRefusal.OUT_OF_SCOPE: 403,
                   StatusRefusal.NO_UNITS: 404}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status,
                             dumps=lambda v: json.dumps(v, ensure_ascii=False),
                             headers={"Cache-Control": "no-store"})


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 12:
        raise web.HTTPBadRequest(text='{"error": "bad_id"}', content_type="application/json")
    return int(value)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "bad_body"}', content_type="application/json")
    return body


def _bot(request: web.Request) -> Any:
    return request.app[BOT_KEY]


def _refusal(who: Caller, refusal: StatusRefusal) -> web.Response:
    with use_locale(who.viewer.locale):
        return _json({"error": str(refusal), "message": refused(refusal)},
                     _REFUSAL_STATUS[refusal])


async def session(request: web.Request) -> web.Response:
    """initData in, a session token (and the page's words) out."""
    body = await _body(request)
    raw = body.get("init_data")
    who = await sign_in(request, raw if isinstance(raw, str) else "")
    actor = who.viewer.actor
    with use_locale(who.viewer.locale):
        return _json({"token": who.token, "locale": who.viewer.locale, "labels": labels(),
                      "name": actor.name, "admin": actor.is_admin})


async def summary(request: web.Request) -> web.Response:
    """Today in a unit of the caller's subtree (their root unit by default)."""
    who = await caller(request)
    data = _bot(request).bot_data
    async with data.db.transaction() as session:
        today = await dashboard.unit_today(
            session, who.viewer.actor, unit_id=_int(request.query.get("unit")),
            now=data.clock(), default_timezone=data.settings.default_timezone)
    if isinstance(today, StatusRefusal):
        return _refusal(who, today)
    with use_locale(who.viewer.locale):
        return _json(views.unit_json(today))


async def missing(request: web.Request) -> web.Response:
    """Who has not reported today in a unit of the caller's subtree, by unit."""
    who = await caller(request)
    data = _bot(request).bot_data
    async with data.db.transaction() as session:
        today = await dashboard.unit_today(
            session, who.viewer.actor, unit_id=_int(request.query.get("unit")),
            now=data.clock(), default_timezone=data.settings.default_timezone, people=True)
    if isinstance(today, StatusRefusal):
        return _refusal(who, today)
    return _json(views.missing_json(today))


async def trend(request: web.Request) -> web.Response:
    who = await caller(request)
    data = _bot(request).bot_data
    async with data.db.transaction() as session:
        result = await dashboard.trend(
            session, who.viewer.actor, unit_id=_int(request.query.get("unit")),
            days=_int(request.query.get("days")) or 14, now=data.clock(),
            default_timezone=data.settings.default_timezone)
    if isinstance(result, StatusRefusal):
        return _refusal(who, result)
    with use_locale(who.viewer.locale):
        return _json(views.trend_json(result))


async def remind(request: web.Request) -> web.Response:
    """/remind: the subtree's non-reporters, at most once an hour, audited."""
    who = await caller(request)
    data = _bot(request).bot_data
    actor, now, settings = who.viewer.actor, data.clock(), data.settings
    async with data.db.transaction() as session:
        result = await actions.remind_now(
            session, actor, now=now, default_timezone=settings.default_timezone,
            default_locale=settings.default_locale)
        if result.status is actions.RemindStatus.SENT:
            sent = await send_items(session, result.items, now=now)
            result = await actions.reminded(session, actor, len(sent), now=now)
        zone = await actions.timezone_of(session, actor, settings.default_timezone)
    if data.dispatcher is not None:
        data.dispatcher.poke()
    with use_locale(who.viewer.locale):
        return _json({"status": str(result.status), "count": result.count,
                      "message": toast(render_leaders.remind_result(result, zone))})


async def alert_handled(request: web.Request) -> web.Response:
    """The alert's "handled" button."""
    who = await caller(request)
    data = _bot(request).bot_data
    alert_id = _int(request.match_info["alert_id"])
    assert alert_id is not None
    now, settings = data.clock(), data.settings
    async with data.db.transaction() as session:
        result = await alerts.mark_handled(
            session, alert_id=alert_id, actor=who.viewer.actor, now=now,
            default_timezone=settings.default_timezone,
            default_locale=settings.default_locale)
        await send_items(session, result.items, now=now)
    if data.dispatcher is not None:
        data.dispatcher.poke()
    status = {alerts.HandleStatus.NOT_ALLOWED: 403,
              alerts.HandleStatus.NOT_FOUND: 404}.get(result.status, 200)
    with use_locale(who.viewer.locale):
        return _json({"status": str(result.status),
                      "message": render_alerts.handle_answer(result.status.value)}, status)


async def notices(request: web.Request) -> web.Response:
    who = await caller(request)
    data = _bot(request).bot_data
    async with data.db.transaction() as session:
        lines = await figures.recent(session, who.viewer.actor, limit=20)
    return _json({"notices": [views.notice_json(line) for line in lines]})


async def notice(request: web.Request) -> web.Response:
    """One notice: its figures and, per unit, who has not acknowledged it (audited)."""
    who = await caller(request)
    data = _bot(request).bot_data
    notice_id = _int(request.match_info["notice_id"])
    assert notice_id is not None
    async with data.db.transaction() as session:
        detail = await figures.detail(session, who.viewer.actor, notice_id, now=data.clock())
    if detail is None:
        return _json({"error": "not_found"}, 404)
    return _json(views.notice_detail_json(detail))


def _day(value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise export.InvalidRange(export.RangeError.BAD_DATE) from None


async def export_reports(request: web.Request) -> web.Response:
    """/export of the picked range: the same XLSX, sent into the caller's chat (a file
    download inside Telegram's web view is not dependable)."""
    who = await caller(request)
    body = await _body(request)
    data = _bot(request).bot_data
    actor, now, settings = who.viewer.actor, data.clock(), data.settings
    async with data.db.transaction() as session:
        zone = await actions.timezone_of(session, actor, settings.default_timezone)
        with use_locale(who.viewer.locale):
            try:
                start, end = export.parse_range(
                    f"{_day(body.get('from'))} {_day(body.get('to'))}",
                    now.astimezone(ZoneInfo(zone)).date())
            except export.InvalidRange as invalid:
                return _json({"error": str(invalid.code),
                              "message": toast(render_leaders.export_problem(invalid.code))},
                             400)
        if await export.estimated_rows(session, actor, start, end) > export.MAX_CHAT_ROWS:
            with use_locale(who.viewer.locale):
                return _json({"error": "too_big",
                              "message": toast(render_leaders.export_too_big())}, 400)
        with use_locale(who.viewer.locale):
            workbook, rows = await render_export.export_workbook(
                export.export_days(session, actor, start, end), zone)
            caption = render_leaders.export_caption(start, end, rows)
        await export.record_export(session, actor, start=start, end=end, rows=rows, now=now)
    await _bot(request).bot.send_document(
        actor.telegram_user_id, InputFile(workbook, filename=render_leaders.export_filename(
            start, end)), caption=caption)
    return _json({"rows": rows, "from": start.isoformat(), "to": end.isoformat()})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/webapp/api/session", session)
    app.router.add_get("/webapp/api/summary", summary)
    app.router.add_get("/webapp/api/missing", missing)
    app.router.add_get("/webapp/api/trend", trend)
    app.router.add_post("/webapp/api/remind", remind)
    app.router.add_post("/webapp/api/alerts/{alert_id}/handled", alert_handled)
    app.router.add_get("/webapp/api/notices", notices)
    app.router.add_get("/webapp/api/notices/{notice_id}", notice)
    app.router.add_post("/webapp/api/export", export_reports)
