"""/status: a leader's (or admin's) digest of today so far, with drill-down buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render.digest import (
    digest_text,
    parse_status_callback,
    status_buttons,
    status_refused,
    status_title,
)
from bot.render.payloads import Buttons
from bot.services.digest.status import StatusRefusal, StatusView, status_view
from handlers import tg

__all__ = ["show_status", "status_button"]


async def _view(context: Context, unit_id: int | None) -> StatusView | StatusRefusal:
    async with context.transaction() as session:
        return await status_view(
            session, context.manager, unit_id=unit_id, now=context.now(),
            default_timezone=context.settings.default_timezone)


def _shown(view: StatusView) -> tuple[str, Buttons]:
    text = digest_text(view.digest, title=status_title(view.digest), full_lists=True)
    return text, status_buttons(view.digest, up=view.up)


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
    view = await _view(context, unit_id)
    if isinstance(view, StatusRefusal):
        await tg.answer(query, status_refused(view), alert=True)
        return
    await tg.answer(query)
    await tg.edit_or_keep(query, *_shown(view))
