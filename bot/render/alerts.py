"""The alert about an abnormal report, its update, and the "handled" notice (HTML).

Drawn for services.digest.alerts' views (AlertView, AlertUpdate, HandledNotice) through
`payload_for`, in the recipient's locale. The button carries ``al:h:<alert id>``.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _, fmt_date, fmt_datetime
from bot.render.callbacks import Codec, Int
from bot.render.payloads import Payload, inline_keyboard, message_payload, payload_for
from bot.render.reports import symptom_label, temperature_text
from bot.services.digest.alerts import AlertUpdate, AlertView, HandledNotice, Person
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


def _person(person: Person) -> str:
    who = (escape(person.name) if person.relation is None
           else _("{relation} {name}").format(relation=escape(person.relation),
                                              name=escape(person.name)))
    parts = []
    if person.temperature is not None:
        degrees = escape(temperature_text(person.temperature))
        parts.append(f"<b>{degrees}</b>" if is_fever(person.temperature) else degrees)
    if person.symptoms:
        parts.append(escape(", ".join(symptom_label(s) for s in person.symptoms)))
    if not parts:
        parts.append(_("no fever or symptoms reported"))
    return f"• {who}: " + "; ".join(parts)


def alert_text(view: AlertView, *, update: bool = False) -> str:
    if not view.abnormal:
        head = _("ℹ️ <b>Update:</b> {name} now reports everyone well.")
    elif update:
        head = _("🔄 <b>Update to the alert:</b> {name} changed their report.")
    else:
        head = _("🚨 <b>Abnormal health report:</b> {name}")
    lines = [head.format(name=escape(view.member_name)),
             _("Unit: {unit}").format(unit=escape(" / ".join(view.unit_names))),
             _("Report for {date}, at {time}").format(
                 date=escape(fmt_date(view.report_date)),
                 time=escape(fmt_datetime(view.reported_at, "short", tz=view.timezone)))]
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
        lines.append(_("⚠️ {flags}").format(flags=escape(", ".join(flags))))
    if view.level > 0:
        lines.append(_("⬆️ Not handled in time by the unit's contacts: passed up to you."))
    if view.handled_at is not None:
        lines.append(handled_line(view))
    return "\n".join(lines)


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
    """The alert (or its update) with the "handled" button while it is open."""
    markup = None
    if view.handled_at is None and view.abnormal:
        markup = inline_keyboard([[(handled_button_label(), handled_callback(view.alert_id))]])
    return message_payload(alert_text(view, update=update), reply_markup=markup)


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
