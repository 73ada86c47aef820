"""Texts for the rules Q&A's admin commands: /faq_stats and /faq_reload."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from bot.i18n import _
from bot.render.faq import fit_list
from bot.services.faq.feedback import Feedback


def faq_stats(rows: Sequence[Feedback], question_of: Callable[[str, str], str | None]) -> str:
    if not rows:
        return _("No one has rated an answer yet.")
    lines = []
    for row in rows:
        question = question_of(row.locale, row.entry_id)
        label = escape(question) if question else _("(no longer in the knowledge base)")
        lines.append(f"👍 {row.helpful} / 👎 {row.not_helpful} · <code>{escape(row.entry_id)}"
                     f"</code> [{escape(row.locale)}] {label}")
    head = _("<b>Answer ratings</b>, weakest first (👍 helpful / 👎 not helpful):")
    return fit_list([head], lines, len(rows))


def reload_ok(counts: Sequence[tuple[str, int, int]]) -> str:
    lines = [_("Knowledge base reloaded.")]
    for locale, entries, rumours in counts:
        lines.append(_("{locale}: {entries} entries, {rumours} rumours").format(
            locale=escape(locale), entries=entries, rumours=rumours))
    return "\n".join(lines)


def reload_failed(errors: Sequence[str]) -> str:
    head = _("<b>Not reloaded</b>: the files have errors. The bot keeps answering from the "
             "previous version.")
    return fit_list([head], [f"• {escape(e[:300])}" for e in errors], len(errors))
