"""The message a member gets after an abnormal report: who is being told, and what to do now
(the knowledge base's answers for their situation, bot.services.reports.advice)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import _, join_list
from bot.render.faq import entry_answer
from bot.render.payloads import MAX_TEXT
from bot.services.faq.kb import Entry


def told_line(told: Sequence[str], *, alerted: bool) -> str:
    """Who is being told: the names of the chain the alert was queued for. Queued, not yet
    delivered: the words say so ("are being told"), never "have read"."""
    if told:
        return _("📣 Your report is being passed on to {names}: they can see your "
                 "temperature, symptoms and note, and may contact you.").format(
            names=escape(join_list(told)))
    if alerted:
        return escape(_("⚠ Nobody is set up yet to receive alerts for your unit. Please tell "
                        "your leader yourself."))
    return escape(_("📣 Your unit's leaders were told about your report earlier."))


SEPARATOR = "\n\n"


def advice_parts(told: Sequence[str], entries: Sequence[Entry], *, alerted: bool) -> list[str]:
    """Who is told, then what to do now: paragraphs, the entries' answers last (fit_advice
    drops whole answers from the end when the message would be too long)."""
    parts = [told_line(told, alerted=alerted)]
    if entries:
        head = escape(_("What to do now:"))
        parts.append(f"<b>{head}</b>")
        parts += [entry_answer(e) for e in entries]
    return parts


def fit_advice(confirmation: str, advice: Sequence[str], limit: int = MAX_TEXT) -> str:
    """The report's confirmation and the advice as one message of at most `limit`
    characters (of HTML, which is never shorter than what Telegram counts): answers that do
    not fit are left out whole, from the last."""
    parts = list(advice)
    while parts:
        text = SEPARATOR.join([confirmation, *parts])
        if len(text) <= limit:
            return text
        parts.pop()
    return confirmation
