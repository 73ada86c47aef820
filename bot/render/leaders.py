"""Texts (HTML) and buttons of the leaders' commands: /contacts, /remind, /export (its file
is render.export's), /report_for.

Callback data, one codec per button (each has its handler; the scope is checked again):
``ct:s:<unit>`` show a unit's chain, ``ct:a:<unit>`` add, ``ct:p:<unit>:<member>`` add this
member, ``ct:u:<unit>:<member>`` move up, ``ct:r:<unit>:<member>`` remove;
``rb:m:<member>`` report for this member, ``rb:ok|sick:<member>:<YYYYMMDD>`` well / unwell.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from bot.i18n import _, fmt_date, fmt_time, join_sentences, ngettext, unit_path
from bot.render.callbacks import Codec, Int
from bot.render.payloads import Buttons, Payload, payload_for
from bot.render.prompts import reminder_payload
from bot.render.reports import temperature_text
from bot.services.digest.actions import (
    ReminderView,
    RemindResult,
    RemindStatus,
    ReportForResult,
    ReportForStatus,
)
from bot.services.digest.contact_form import Press
from bot.services.digest.report_for_form import Press as ReportForPress
from bot.services.digest.report_for_form import ReportForTarget
from bot.services.members.leaves import MAX_MATCHES, Candidate, FindResult, FindStatus
from bot.services.org.contacts import Chain, ContactLine, ContactResult, ContactStatus, UnitRef
from bot.services.reports.export import MAX_DAYS, RangeError


def _id(name: str) -> Int:
    return Int(name, 12)


# /contacts: one codec per button, keyed by what it does.
CONTACTS = {
    Press.SHOW: Codec("ct:s", _id("unit")),
    Press.ADD: Codec("ct:a", _id("unit")),
    Press.PICK: Codec("ct:p", _id("unit"), _id("member")),
    Press.UP: Codec("ct:u", _id("unit"), _id("member")),
    Press.REMOVE: Codec("ct:r", _id("unit"), _id("member")),
}
# /report_for: pick a member; all well / unwell for the member's day (YYYYMMDD).
REPORT_FOR = {
    ReportForPress.MEMBER: Codec("rb:m", _id("member")),
    ReportForPress.WELL: Codec("rb:ok", _id("member"), Int("day", 8)),
    ReportForPress.SICK: Codec("rb:sick", _id("member"), Int("day", 8)),
    ReportForPress.TEMPERATURE: Codec("rb:t", _id("member"), Int("day", 8), Int("tenths", 3)),
    ReportForPress.UNMEASURED: Codec("rb:nt", _id("member"), Int("day", 8)),
}
# Any button of each family (for tests and docs; handlers use the codecs' own patterns).
CONTACTS_PATTERN = "|".join(f"(?:{c.pattern})" for c in CONTACTS.values())
REPORT_FOR_PATTERN = "|".join(f"(?:{c.pattern})" for c in REPORT_FOR.values())


def _unit(ref: UnitRef) -> str:
    return escape(unit_path(ref.names))


def not_allowed() -> str:
    return _("Only unit leaders and administrators can do this.")


# --- /contacts -----------------------------------------------------------------------------


def chain_text(chain: Chain) -> str:
    lines = [_("<b>Reporting contacts of {unit}</b>").format(unit=_unit(chain.unit))]
    if not chain.contacts:
        lines.append(_("None yet: this unit's digest and alerts go to the contacts of the "
                       "unit above it."))
    else:
        lines.append(_("They receive the daily digest and the alerts of this unit and the "
                       "units below it, in this order:"))
        for i, c in enumerate(chain.contacts, 1):
            line = f"{i}. {escape(c.name)}"
            if not c.linked:
                line += " " + _("(has not linked Telegram yet: gets nothing)")
            lines.append(line)
    lines += ["", _("⬆️ moves a contact up, ❌ removes one, ➕ adds one. For another unit "
                    "send <code>/contacts UNIT NAME</code>.")]
    return "\n".join(lines)


def chain_buttons(chain: Chain) -> Buttons:
    unit = chain.unit.unit_id
    rows: Buttons = [[(f"⬆️ {c.name}"[:40], CONTACTS[Press.UP].encode(unit, c.member_id)),
                      (f"❌ {c.name}"[:40], CONTACTS[Press.REMOVE].encode(unit, c.member_id))]
                     for c in chain.contacts]
    rows.append([(_("➕ Add a contact"), CONTACTS[Press.ADD].encode(unit))])
    return rows


def unit_choices(units: list[UnitRef]) -> tuple[str, Buttons]:
    return (_("Several units match. Which one?"),
            [[(" / ".join(u.names[-2:])[:60], CONTACTS[Press.SHOW].encode(u.unit_id))]
             for u in units])


def no_unit() -> str:
    return _("None of your units has that name.")


def ask_contact_name(unit: UnitRef) -> str:
    return _("Send the name of the member to add to the contacts of {unit}: a member of this "
             "unit or of a unit below it. /cancel stops.").format(unit=_unit(unit))


def contact_candidates(unit: UnitRef, found: list[ContactLine]) -> tuple[str, Buttons]:
    if not found:
        return (_("No active member of {unit} or the units below it has that name. Send "
                  "another name, or /cancel.").format(unit=_unit(unit)), [])
    if len(found) > MAX_MATCHES:
        return (_("Too many members match. Please send more of the name."), [])
    return (_("Whom do you want to add?"),
            [[(c.name[:60], CONTACTS[Press.PICK].encode(unit.unit_id, c.member_id))]
             for c in found])


def contact_result(result: ContactResult) -> str:
    status, name = result.status, escape(result.name)
    head = {
        ContactStatus.ADDED: _("Added {name}.").format(name=name),
        ContactStatus.ALREADY: _("{name} is already a contact.").format(name=name),
        ContactStatus.REMOVED: _("Removed {name}.").format(name=name),
        ContactStatus.MOVED: _("Moved {name} up.").format(name=name),
    }.get(status)
    if head is not None and result.chain is not None:
        return head + "\n\n" + chain_text(result.chain)
    if status is ContactStatus.OUTSIDE_SCOPE:
        return _("That unit is not one of yours.")
    if status is ContactStatus.NOT_IN_UNIT:
        return _("Only a member of the unit or of a unit below it can be its contact.")
    if status is ContactStatus.LIMIT:
        return _("A unit can have at most 10 contacts.")
    return _("That unit or member no longer exists.")


# --- /remind -------------------------------------------------------------------------------


def remind_result(result: RemindResult, timezone: str) -> str:
    if result.status is RemindStatus.SENT:
        return ngettext("Reminder sent to {n} member who has not reported yet.",
                        "Reminder sent to {n} members who have not reported yet.",
                        result.count).format(n=result.count)
    if result.status is RemindStatus.TOO_SOON:
        assert result.next_at is not None
        return _("A reminder already went out in the last hour. The next one can be sent "
                 "from {time}.").format(time=fmt_time(result.next_at, "short", tz=timezone))
    return _("Nobody to remind: everyone due has reported, or today's question has not been "
             "asked yet.")


@payload_for.register
def _reminder(view: ReminderView) -> Payload:
    return reminder_payload(name=view.name, day=view.day, deadline=view.deadline,
                            timezone=view.timezone, offer_same=view.offer_same)


# --- /export -------------------------------------------------------------------------------


def export_problem(code: RangeError) -> str:
    usage = _("Send <code>/export</code> for the last 7 days, or <code>/export 2026-11-01 "
              "2026-11-07</code> for a range.")
    if code is RangeError.BAD_DATE:
        return join_sentences([_("That date does not exist."), usage])
    if code is RangeError.REVERSED:
        return join_sentences([_("The last day is before the first day."), usage])
    if code is RangeError.TOO_LONG:
        return join_sentences([_("An export covers at most {days} days.").format(days=MAX_DAYS),
                               usage])
    return usage


def export_too_big() -> str:
    return _("That is too many reports for one file here. Choose a shorter range, or ask an "
             "administrator to run <code>selfreport export</code>.")


def export_caption(start: date, end: date, rows: int) -> str:
    """The file's caption: the range and how many member rows (one per member per day)."""
    span = _("{start} to {end}").format(start=fmt_date(start), end=fmt_date(end))
    return ngettext("Reports {span}: {n} row.", "Reports {span}: {n} rows.", rows).format(
        span=escape(span), n=rows)


def export_filename(start: date, end: date) -> str:
    return f"reports_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"


# --- /report_for ---------------------------------------------------------------------------


def report_for_usage() -> str:
    return _("Record today's report for a member of your units who cannot use Telegram: "
             "<code>/report_for NAME</code> (a name, part of one, or a phone number). Words "
             "after the name record them as unwell, with your words as the note: "
             "<code>/report_for NAME has a cough</code>.")


def report_for_find_problem(result: FindResult) -> str:
    if result.status is FindStatus.TOO_MANY:
        return ngettext("{n} member matches. Please give more of the name.",
                        "{n} members match. Please give more of the name.",
                        result.total).format(n=result.total)
    if result.status is FindStatus.OUTSIDE_SCOPE:
        return _("That member is not in your units.")
    return _("No active member of your units matches that name or number.")


def report_for_pick(candidates: tuple[Candidate, ...]) -> tuple[str, Buttons]:
    return (_("Several members match. Whom do you mean?"),
            [[(f"{c.name} · {' / '.join(c.unit_path[-2:])}"[:60],
               REPORT_FOR[ReportForPress.MEMBER].encode(c.member_id))] for c in candidates])


def report_for_choice(target: ReportForTarget) -> tuple[str, Buttons]:
    text = _("Today's report ({date}) for <b>{name}</b> ({unit}):").format(
        date=escape(fmt_date(target.day)), name=escape(target.name),
        unit=escape(unit_path(target.unit)))
    well = REPORT_FOR[ReportForPress.WELL].encode(target.member_id, target.stamp)
    sick = REPORT_FOR[ReportForPress.SICK].encode(target.member_id, target.stamp)
    return text, [[(_("✅ All well"), well), (_("🤒 Unwell"), sick)]]


def ask_temperature(target: ReportForTarget, note: str = "") -> tuple[str, Buttons]:
    text = _("What is {name}'s temperature? For example 38.2. /cancel stops.").format(
        name=escape(target.name))
    if note:
        text = _("{name}, as you wrote: “{note}”.").format(name=escape(target.name),
                                                       note=escape(note)) + "\n" + text
    unmeasured = REPORT_FOR[ReportForPress.UNMEASURED].encode(target.member_id, target.stamp)
    return text, [[(_("🌡 Not measured"), unmeasured)]]


def temperature_offer(target: ReportForTarget | None, hint: Decimal | None) -> Buttons:
    """The reading a bad temperature's reply asks about ("376" → 37.6), to confirm."""
    if target is None or hint is None:
        return []
    data = REPORT_FOR[ReportForPress.TEMPERATURE].encode(target.member_id, target.stamp,
                                                         int(hint * 10))
    return [[(temperature_text(hint), data)]]


def report_for_result(result: ReportForResult) -> str:
    if result.status in (ReportForStatus.SAVED, ReportForStatus.UNCHANGED):
        assert result.day is not None
        values = {"name": escape(result.name), "date": escape(fmt_date(result.day))}
        if result.status is ReportForStatus.UNCHANGED:
            return _("{name}'s report for {date} already says this.").format(**values)
        if result.abnormal:
            return _("Recorded: {name} is unwell ({date}). The unit's contacts are "
                     "alerted.").format(**values)
        return _("Recorded: {name} and their household are well ({date}).").format(**values)
    if result.status is ReportForStatus.OUTSIDE_SCOPE:
        return _("That member is not in your units.")
    return _("That member no longer exists.")


def stale_report_for() -> str:
    return _("This button is from another day. Send /report_for again.")


def form_expired() -> str:
    return _("That form has expired. Please start again.")
