"""/status: a leader's (or admin's) digest of today so far, with drill-down buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render.digest import (
    digest_text,
    parse_status_callback,
    parse_status_page,
    status_buttons,
    status_refused,
    status_title,
)
from bot.render.next_steps import NEXT_DRILL
from bot.render.payloads import Buttons
from bot.services.digest.status import StatusRefusal, StatusView, status_view
from handlers import tg

__all__ = ["drill_pressed", "show_status", "status_button", "status_page"]


async def _view(context: Context, unit_id: int | None) -> StatusView | StatusRefusal:
    async with context.transaction() as session:
        return await status_view(
            session, context.manager, unit_id=unit_id, now=context.now(),
            default_timezone=context.settings.default_timezone)


def _shown(view: StatusView, page: int = 0) -> tuple[str, Buttons]:
    text = digest_text(view.digest, title=status_title(view.digest), full_lists=True)
    return text, status_buttons(view.digest, up=view.up, page=page)


async def show_status(update: Update, context: Context) -> None:
    """Today's figures for the asker's unit so far, a button per sub-unit."""
    view = await _view(context, None)
    if isinstance(view, StatusRefusal):
        await tg.reply(update, status_refused(view))
        return
    await tg.reply(update, *_shown(view))
    await tg.offer_dashboard(update, context)


async def status_button(update: Update, context: Context) -> None:
    """Drill into a sub-unit (or back up); the unit is checked against the asker's scope."""
    query = update.callback_query
    assert query
    unit_id = parse_status_callback(query.data)
    if unit_id is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    await _drill(update, context, unit_id, 0)


async def status_page(update: Update, context: Context) -> None:
    """Another page of a unit's sub-unit buttons; the unit is checked as for a drill-down."""
    query = update.callback_query
    assert query
    parsed = parse_status_page(query.data)
    if parsed is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    await _drill(update, context, *parsed)


async def _drill(update: Update, context: Context, unit_id: int, page: int) -> None:
    query = update.callback_query
    assert query
    view = await _view(context, unit_id)
    if isinstance(view, StatusRefusal):
        await tg.answer(query, status_refused(view), alert=True)
        return
    await tg.answer(query)
    await tg.edit_or_keep(query, *_shown(view, page))


async def drill_pressed(update: Update, context: Context) -> None:
    """The digest's sub-units button: its unit's /status, with a button per sub-unit, under
    the digest (which stays as it was sent)."""
    query, (unit_id,) = tg.pressed(update, NEXT_DRILL)
    view = await _view(context, unit_id)
    if isinstance(view, StatusRefusal):
        await tg.answer(query, status_refused(view), alert=True)
        return
    await tg.answer(query)
    await tg.reply(update, *_shown(view))
