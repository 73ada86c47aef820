"""The alert about an abnormal report, its update, and the "handled" notice (HTML).

Drawn for services.digest.alerts' views (AlertView, AlertUpdate, HandledNotice) through
`payload_for`, in the recipient's locale. The button carries ``al:h:<alert id>``.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.i18n import _, fmt_date, fmt_datetime, join_clauses, join_list, pgettext, unit_path
from bot.render.callbacks import Codec, Int
from bot.render.payloads import (
    Buttons,
    Payload,
    inline_keyboard,
    message_payload,
    payload_for,
)
from bot.render.reports import flag_label, symptom_label, temperature_text
from bot.services.digest.alert_view import AlertView, Changes, Person, PersonChange
from bot.services.digest.alerts import AlertUpdate, HandledNotice
from bot.services.reports.temperature import is_fever

ALERT_HANDLED = Codec("al:h", Int("alert", 12))
ALERT_PATTERN = ALERT_HANDLED.pattern


def handled_callback(alert_id: int) -> str:
    return ALERT_HANDLED.encode(alert_id)


def parse_handled_callback(data: str | None) -> int | None:
    """The alert id from a "handled" button's data; None for anything malformed (only the
    data this module writes is taken: no leading zeros, ASCII digits)."""
    values = ALERT_HANDLED.decode(data)
    if values is None or handled_callback(values[0]) != data:
        return None
    return int(values[0])


def _who(relation: str | None, name: str) -> str:
    if relation is None:
        return escape(name)
    return escape(_("{relation} {name}").format(relation=relation, name=name))


def _person(person: Person) -> str:
    parts = []
    if person.temperature is not None:
        degrees = escape(temperature_text(person.temperature))
        parts.append(f"<b>{degrees}</b>" if is_fever(person.temperature) else degrees)
    if person.symptoms:
        parts.append(escape(join_list(symptom_label(s) for s in person.symptoms)))
    if not parts:  # what they answered, not something they left out
        parts.append(escape(_("well (no fever, no symptoms)")))
    line = "• " + _("{person}: {health}").format(person=_who(person.relation, person.name),
                                                 health=join_clauses(parts))
    if person.note:
        line += "\n    " + _("📝 Note: “{note}”").format(note=escape(person.note))
    return line


def _member(view: AlertView) -> str:
    """The member's name, a link to their profile: they have written to the bot, which is
    what Telegram needs for a mention by id to open (README: "Alerts and the leaders'
    commands")."""
    name = escape(view.member_name)
    if view.member_user_id is None:
        return name
    return f'<a href="tg://user?id={view.member_user_id}">{name}</a>'


def _temperature_or_normal(value: Decimal | None) -> str:
    return temperature_text(value) if value is not None else pgettext(
        "temperature", "no fever")


def _change(change: PersonChange) -> str:
    parts = []
    if change.temperature_changed:
        parts.append(_("{before} → {after}").format(
            before=_temperature_or_normal(change.temperature_before),
            after=_temperature_or_normal(change.temperature_after)))
    parts += [_("{symptom} gone").format(symptom=symptom_label(s))
              for s in change.symptoms_gone]
    parts += [_("new: {symptom}").format(symptom=symptom_label(s))
              for s in change.symptoms_new]
    if change.note_after is not None:
        parts.append(_("📝 New note: “{note}”").format(note=change.note_after)
                     if change.note_after else _("note removed"))
    return "• " + _("{person}: {health}").format(person=_who(change.relation, change.name),
                                                 health=escape(join_clauses(parts)))


def changes_lines(changes: Changes) -> list[str]:
    """What an update changed, person by person, then the flags."""
    lines = [_change(c) for c in changes.people]
    for flag, on in changes.flags:
        text = (_("now reported: {flag}") if on else _("no longer: {flag}")).format(
            flag=flag_label(flag))
        lines.append(f"• {escape(text)}")
    if not lines:
        return []
    head = escape(_("What changed:"))
    return [f"<b>{head}</b>", *lines, ""]


def alert_text(view: AlertView, *, update: bool = False) -> str:
    if not view.abnormal:
        head = _("ℹ️ <b>Update:</b> {name} now reports everyone well.")
    elif update:
        head = _("🔄 <b>Update to the alert:</b> {name} changed their report.")
    else:
        head = _("🚨 <b>Abnormal health report:</b> {name}")
    lines = [head.format(name=_member(view))]
    if update and view.changes is not None:
        lines += ["", *changes_lines(view.changes)]
    lines += [_("Unit: {unit}").format(unit=escape(unit_path(view.unit_names))),
              _("Report for {date}, sent {time}").format(
                  date=escape(fmt_date(view.report_date)),
                  time=escape(fmt_datetime(view.reported_at, tz=view.timezone,
                                           day=view.report_date)))]
    if view.member_phone:
        lines.append(_("☎ Phone: {phone}").format(phone=escape(view.member_phone)))
    if view.entered_by:
        lines.append(_("Entered by {name}").format(name=escape(view.entered_by)))
    lines += [_person(p) for p in view.persons]
    flags = []
    if view.contact_case:
        flags.append(_("contact with a confirmed or suspected case"))
    if view.travel:
        flags.append(_("recent travel"))
    if view.isolation:
        flags.append(_("in isolation"))
    if flags:
        lines.append(_("⚠️ {flags}").format(flags=escape(join_list(flags))))
    if view.level > 0:
        lines.append(_("⬆️ Not handled in time by the unit's contacts: passed up to you."))
    if view.handled_at is not None:
        lines.append(handled_line(view))
    return "\n".join(lines)


def chat_link(view: AlertView) -> str | None:
    """A link that opens a chat with the member: t.me/+<phone> (Telegram's phone-number
    link). A tg://user?id= button would make Telegram refuse the whole alert when the
    member's privacy settings do not allow it; an https link is always accepted."""
    if not view.member_phone:
        return None
    digits = "".join(c for c in view.member_phone if c.isdigit())
    return f"https://t.me/+{digits}" if digits else None


def alert_buttons(view: AlertView) -> Buttons:
    """Write to the member (when there is a phone), and "handled" while the alert is open."""
    rows: Buttons = []
    if (link := chat_link(view)) is not None:
        rows.append([(_("💬 Write to {name}").format(name=view.member_name), link)])
    if view.handled_at is None and view.abnormal:
        rows.append([(handled_button_label(), handled_callback(view.alert_id))])
    return rows


def handled_line(view: AlertView) -> str:
    assert view.handled_at is not None
    return _("✅ Handled by {name} at {time}").format(
        name=escape(view.handled_by or _("an administrator")),
        time=escape(fmt_datetime(view.handled_at, "short", tz=view.timezone)))


def handled_button_label() -> str:
    return _("✅ Handled")


@payload_for.register
def _alert(view: AlertView) -> Payload:
    return alert_payload(view)


@payload_for.register
def _update(view: AlertUpdate) -> Payload:
    return alert_payload(view.view, update=True)


@payload_for.register
def _handled(notice: HandledNotice) -> Payload:
    return handled_notice_payload(notice.view)


def alert_payload(view: AlertView, *, update: bool = False) -> Payload:
    """The alert (or its update) with its buttons (`alert_buttons`)."""
    rows = alert_buttons(view)
    return message_payload(alert_text(view, update=update),
                           reply_markup=inline_keyboard(rows) if rows else None)


def handled_notice_payload(view: AlertView) -> Payload:
    text = _("✅ The alert about {name} ({date}) was handled by {who}.").format(
        name=escape(view.member_name), date=escape(fmt_date(view.report_date)),
        who=escape(view.handled_by or _("an administrator")))
    return message_payload(text)


def handle_answer(status: str) -> str:
    """The short answer to a press of the "handled" button (≤ 200 characters)."""
    if status == "handled":
        return _("Marked as handled. Thank you.")
    if status == "already":
        return _("This alert was already handled.")
    if status == "not_allowed":
        return _("You are not in this unit's reporting chain.")
    return _("This alert no longer exists.")
