"""Texts (HTML) for /language, /quiet and /leave, and the callback data of their buttons.

/language's buttons carry ``lang:<locale>`` (`LANGUAGE`); /leave's ``lv:<member>:<from>:<to>:
<l|e>`` to pick one of several matches (`LEAVE_PICK`) and ``lvx:<leave>`` to cancel one
(`LEAVE_CANCEL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from bot.config import SUPPORTED_LOCALES
from bot.db.models import LeaveKind
from bot.i18n import _, aside, colon, language_name, ngettext, unit_path
from bot.render.callbacks import Codec, Int, Token, Word
from bot.render.payloads import Buttons
from bot.render.when import days_text
from bot.services.members.leaves import (
    MAX_LEAVE_DAYS,
    MAX_MATCHES,
    Candidate,
    FindResult,
    FindStatus,
    LeaveArgsError,
    LeaveLine,
    LeaveResult,
    LeaveStatus,
)
from bot.services.members.settings import QuietError, QuietHours

LANGUAGE = Codec("lang", Word("locale", tuple(SUPPORTED_LOCALES)))
# Days as YYYYMMDD; the kind as one letter.
COMPACT_DAY = r"[0-9]"
KIND_CODES = {LeaveKind.LEAVE: "l", LeaveKind.EXEMPT: "e"}
LEAVE_PICK = Codec("lv", Int("member", 12), Token("start", 8, COMPACT_DAY),
                   Token("end", 8, COMPACT_DAY), Word("kind", tuple(KIND_CODES.values())))
LEAVE_CANCEL = Codec("lvx", Int("leave", 12))


@dataclass(frozen=True)
class PickedLeave:
    """What a LEAVE_PICK button asks for."""

    member_id: int
    start: date
    end: date
    kind: LeaveKind


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def picked_leave(values: tuple[int, str, str, str]) -> PickedLeave | None:
    """LEAVE_PICK's decoded values as a leave to record; None for days that do not exist."""
    member_id, start_text, end_text, code = values
    start, end = _day(start_text), _day(end_text)
    if start is None or end is None:
        return None
    kind = next(k for k, c in KIND_CODES.items() if c == code)
    return PickedLeave(member_id, start, end, kind)


# --- /language -----------------------------------------------------------------------------


def choose_language() -> tuple[str, Buttons]:
    return escape(_("Choose your language:")), [
        [(language_name(loc), LANGUAGE.encode(loc)) for loc in SUPPORTED_LOCALES]]


def language_set(locale: str) -> str:
    return escape(_("Language set to {language}.").format(language=language_name(locale)))


# --- /quiet --------------------------------------------------------------------------------


def quiet_usage(current: QuietHours | None) -> str:
    now = (_("Your quiet hours: {start}–{end}. No reminders in that window.").format(
        start=current.as_text()[0], end=current.as_text()[1]) if current
        else _("You have no quiet hours: reminders may come at any reminder time."))
    return now + "\n\n" + _(
        "To set them, send for example <code>/quiet 22:00 07:00</code> or <code>/quiet 10pm "
        "to 7am</code> (no reminders from 22:00 until 07:00, your unit's time). To remove "
        "them: <code>/quiet off</code>.")


def quiet_set(quiet: QuietHours | None) -> str:
    if quiet is None:
        return _("Quiet hours removed.")
    return _("Quiet hours set: no reminders from {start} until {end}. The daily question "
             "itself still comes at your unit's time.").format(
        start=quiet.as_text()[0], end=quiet.as_text()[1])


def quiet_problem(code: QuietError) -> str:
    if code is QuietError.SAME:
        return _("The start and the end must differ, for example <code>/quiet 22:00 "
                 "07:00</code>.")
    return _("Please give two times, for example <code>/quiet 22:00 07:00</code> or "
             "<code>/quiet 10pm to 7am</code>, or <code>/quiet off</code>.")


# --- /leave --------------------------------------------------------------------------------


def kind_label(kind: LeaveKind) -> str:
    return _("on leave") if kind is LeaveKind.LEAVE else _("exempt")


def span(start: date, end: date) -> str:
    """The days in full, with their weekdays: what the bot understood, read back."""
    return escape(days_text(start, end))


def who(candidate: Candidate) -> str:
    return _("{name} ({unit})").format(name=escape(candidate.name),
                                       unit=escape(unit_path(candidate.unit_path)))


def leave_usage(lines: list[LeaveLine]) -> str:
    parts = [_("Mark a member of your units as on leave or exempt: they are not asked to "
               "report and not counted as missing on those days.\n"
               "<code>/leave NAME DAYS [exempt]</code>, for example "
               "<code>/leave Wang Wei tomorrow to next Friday</code> or "
               "<code>/leave Wang Wei 2026-12-01 2026-12-05</code>. NAME may also be a phone "
               "number.")]
    if lines:
        parts += ["", _("<b>Current and coming leaves</b> (tap to cancel one):")]
        parts += ["• " + colon(who(line.member), aside(span(line.start, line.end),
                                                        kind_label(line.kind)))
                  for line in lines]
    return "\n".join(parts)


def leave_cancel_buttons(lines: list[LeaveLine]) -> Buttons:
    return [[(f"❌ {line.member.name} {line.start.isoformat()}"[:60],
              LEAVE_CANCEL.encode(line.leave_id))] for line in lines]


def leave_args_problem(code: LeaveArgsError) -> str:
    if code is LeaveArgsError.BAD_DATE:
        return _("That date does not exist. Write it as you would say it, for example "
                 "<code>Dec 6</code>, or as YYYY-MM-DD.")
    if code is LeaveArgsError.NO_QUERY:
        return _("Whom do you mean? Put a name or phone number before the dates, for example "
                 "<code>/leave Wang Wei 2026-12-01 2026-12-05</code>.")
    if code is LeaveArgsError.TOO_LONG:
        return _("That is too long. Send <code>/leave NAME FROM [TO]</code>.")
    return _("Please give the days after the name, as you would say them, for example "
             "<code>/leave Wang Wei tomorrow to next Friday</code>, or as YYYY-MM-DD.")


def find_problem(result: FindResult) -> str:
    if result.status is FindStatus.TOO_MANY:
        return ngettext("{n} member matches. Please give more of the name (at most {max} can "
                        "be shown).", "{n} members match. Please give more of the name (at "
                        "most {max} can be shown).", result.total).format(n=result.total,
                                                                          max=MAX_MATCHES)
    if result.status is FindStatus.OUTSIDE_SCOPE:
        return _("That member is not in your units, so you cannot record leave for them.")
    return _("No active member of your units matches that name or number.")


def pick_member(candidates: tuple[Candidate, ...], start: date, end: date,
                kind: LeaveKind) -> tuple[str, Buttons]:
    if len(candidates) == 1:
        text = _("Record this? {who}: {kind}, {span}.").format(
            who=who(candidates[0]), kind=kind_label(kind), span=span(start, end))
        return text, [[(_("✅ Record"), LEAVE_PICK.encode(
            candidates[0].member_id, f"{start:%Y%m%d}", f"{end:%Y%m%d}", KIND_CODES[kind]))]]
    text = _("Several members match. Whom do you mean ({kind}, {span})?").format(
        kind=kind_label(kind), span=span(start, end))
    buttons = [[(f"{c.name} · {' / '.join(c.unit_path[-2:])}"[:60],
                 LEAVE_PICK.encode(c.member_id, f"{start:%Y%m%d}", f"{end:%Y%m%d}",
                                   KIND_CODES[kind]))]
               for c in candidates]
    return text, buttons


def leave_result(result: LeaveResult) -> str:
    status = result.status
    if status in (LeaveStatus.SET, LeaveStatus.ALREADY, LeaveStatus.CANCELLED):
        assert result.member and result.start and result.end and result.kind
        values = {"who": who(result.member), "span": span(result.start, result.end),
                  "kind": kind_label(result.kind)}
        if status is LeaveStatus.CANCELLED:
            return _("Cancelled: {who}, {kind}, {span}.").format(**values)
        if status is LeaveStatus.ALREADY:
            return _("Already recorded: {who} is {kind}, {span}.").format(**values)
        return _("Recorded: {who} is {kind}, {span}. They will not be asked to report or "
                 "counted as missing on those days.").format(**values)
    if status is LeaveStatus.OUTSIDE_SCOPE:
        return _("That member is not in your units, so you cannot record leave for them.")
    if status is LeaveStatus.BAD_RANGE:
        return _("The last day is before the first day.")
    if status is LeaveStatus.IN_PAST:
        return _("Those days are already over.")
    if status is LeaveStatus.TOO_LONG:
        return _("A leave can last at most {days} days.").format(days=MAX_LEAVE_DAYS)
    return _("That member or leave no longer exists.")


def leave_not_allowed() -> str:
    return _("Only unit leaders and administrators can record leave.")
