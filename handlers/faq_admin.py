"""The rules Q&A's admin commands: /faq_stats, /faq_reload (registered with routes.ADMIN;
anyone else gets `admins_only`)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import Context
from bot.i18n import LOCALES_DIR
from bot.render import faq as render
from bot.render import faq_add as render_faq_add
from bot.render import faq_admin as render_admin
from bot.services.faq import feedback as faq_feedback
from bot.services.faq import promote as faq_promote
from bot.services.faq.kb import KbError
from bot.services.faq.service import Faq
from handlers import tg

logger = logging.getLogger(__name__)



async def admins_only(update: Update, context: Context) -> None:
    """An admin's command (/faq_stats, /faq_reload, /faq_add) from someone else."""
    await tg.reply(update, render.admins_only())


async def show_stats(update: Update, context: Context) -> None:
    """/faq_stats: helpful / not helpful per entry, weakest first (admins)."""
    faq = context.bot_data.faq
    async with context.transaction() as session:
        rows = await faq_feedback.feedback(session)

    def question_of(locale: str, entry_id: str) -> str | None:
        kb = faq.kb(locale) if faq is not None else None
        entry = kb.entry(entry_id) if kb is not None else None
        return entry.question if entry is not None else None

    await tg.reply(update, render_admin.faq_stats(rows, question_of))


async def reload_kb(update: Update, context: Context) -> None:
    """/faq_reload: read the knowledge-base files again; on errors keep the loaded ones."""
    faq = context.bot_data.faq
    async with context.transaction() as session:  # promoted entries (/faq_add) go on top
        additions = await faq_promote.additions(session)
    try:
        if faq is None:  # the files were bad at start-up: this is the first load
            faq = context.bot_data.faq = Faq.load(LOCALES_DIR, context.settings.default_locale)
            left_out = faq.set_additions(additions)
        else:
            left_out = faq.reload(additions)
    except KbError as error:
        logger.warning("knowledge base reload refused: %d problem(s)", len(error.problems))
        await tg.reply(update, render_admin.reload_failed(error.problems))
        return
    bases = [kb for kb in (faq.kb(locale) for locale in faq.locales) if kb is not None]
    counts = [(kb.locale, len(kb.entries), len(kb.rumours)) for kb in bases]
    logger.info("knowledge base reloaded: %s", counts)
    await tg.reply(update, render_admin.reload_ok(counts) + (
        "\n\n" + render_faq_add.left_out(left_out) if left_out else ""))
