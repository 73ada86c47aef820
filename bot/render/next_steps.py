"""The next-step buttons under the digest and /status, and what their taps show.

Callback data, one codec per button (each has its handler; the unit is checked again):
``nx:r:<unit>:<YYYYMMDD>`` remind those of the unit's subtree who have not reported (the
unit's day the button was drawn on: an earlier day's button is refused), ``nx:a:<unit>`` list
the subtree's open alerts, ``nx:d:<unit>`` its sub-units (/status of the unit), and
``nx:h:<unit>:<alert>`` mark an alert of that list handled. The longest is 27 bytes.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from bot.i18n import (
    _,
    colon,
    fmt_datetime,
    fmt_number,
    fmt_time,
    join_clauses,
    join_list,
    ngettext,
    unit_path,
)
from bot.render.callbacks import Codec, Int, Token
from bot.render.payloads import Buttons
from bot.render.reports import short_flags, symptom_label, temperature_text
from bot.services.digest.actions import RemindResult, RemindStatus
from bot.services.digest.alert_view import AlertView
from bot.services.digest.compute import UnitDigest
from bot.services.digest.next_steps import AlertsToHandle, StepRefusal
from bot.services.digest.queries import Reach

NEXT_REMIND = Codec("nx:r", Int("unit", 9), Token("day", 8, "[0-9]"))
NEXT_ALERTS = Codec("nx:a", Int("unit", 9))
NEXT_DRILL = Codec("nx:d", Int("unit", 9))
NEXT_HANDLED = Codec("nx:h", Int("unit", 9), Int("alert", 12))


def _day_token(day: date) -> str:
    return day.strftime("%Y%m%d")


def next_step_buttons(d: UnitDigest, *, drill: bool) -> Buttons:
    """Remind (someone who can be reached has not reported), open alerts (there are some),
    and — `drill`, the digest: /status has a button per sub-unit — the sub-units (there are
    some). None of them when there is nothing to do."""
    first = []
    if d.missing_by(Reach.PENDING):
        first.append((_("🔔 Remind those not reported"),
                      NEXT_REMIND.encode(d.unit_id, _day_token(d.day))))
    if d.alerts:
        first.append((open_alerts_label(len(d.alerts)), NEXT_ALERTS.encode(d.unit_id)))
    rows = [first] if first else []
    if drill and any(s.unit_id is not None for s in d.subunits):
        rows.append([(_("🔍 Sub-units"), NEXT_DRILL.encode(d.unit_id))])
    return rows


def parse_remind(values: tuple[object, ...]) -> tuple[int, date] | None:
    """(unit id, day) of a remind button; None when the day is not a date."""
    unit_id, token = values
    assert isinstance(unit_id, int) and isinstance(token, str)
    try:
        return unit_id, datetime.strptime(token, "%Y%m%d").date()
    except ValueError:
        return None


def open_alerts_label(n: int) -> str:
    return ngettext("🚨 {n} open alert", "🚨 {n} open alerts", n).format(n=fmt_number(n))


# --- what a tap shows ------------------------------------------------------------------------


def reminded_label(result: RemindResult, now: datetime, timezone: str) -> str | None:
    """The remind button once tapped: what was done, or when it can be done again."""
    time = fmt_time(now, "short", tz=timezone)
    if result.status is RemindStatus.SENT:
        return ngettext("✅ Reminded {n} at {time}", "✅ Reminded {n} at {time}",
                        result.count).format(n=fmt_number(result.count), time=time)
    if result.status is RemindStatus.NOBODY:
        return _("✅ Nobody to remind at {time}").format(time=time)
    if result.next_at is not None:  # reminded within the hour (here or with /remind)
        return _("⏳ Next reminder from {time}").format(
            time=fmt_time(result.next_at, "short", tz=timezone))
    return None


def listed_label(total: int, now: datetime, timezone: str) -> str:
    """The open-alerts button once tapped: how many are open now."""
    time = fmt_time(now, "short", tz=timezone)
    if total == 0:
        return _("✅ No open alerts at {time}").format(time=time)
    return ngettext("🚨 {n} open alert, listed at {time}",
                    "🚨 {n} open alerts, listed at {time}",
                    total).format(n=fmt_number(total), time=time)


def _health(view: AlertView) -> str:
    parts = []
    for person in view.persons:
        if not person.unwell:
            continue
        health = [temperature_text(person.temperature)] if person.temperature is not None else []
        health += [symptom_label(s) for s in person.symptoms]
        who = person.name if person.relation is None else _("{relation} {name}").format(
            relation=person.relation, name=person.name)
        parts.append(colon(who, join_list(health)))
    parts += short_flags(contact_case=view.contact_case, travel=view.travel,
                         isolation=view.isolation)
    return escape(join_clauses(parts) or "—")


def _alert_line(view: AlertView) -> str:
    return _("• <b>{name}</b> — {unit}\n   {health}\n   reported {when}").format(
        name=escape(view.member_name), unit=escape(unit_path(view.unit_names)),
        health=_health(view),
        when=escape(fmt_datetime(view.reported_at, "short", tz=view.timezone)))


def alerts_text(listed: AlertsToHandle, *, handled: AlertView | None = None) -> str:
    """The subtree's open alerts, oldest first, each with its button below; `handled`: the
    alert just marked handled from this list."""
    lines = []
    if handled is not None:
        lines += [_("✅ {name}: marked handled").format(name=escape(handled.member_name)), ""]
    if not listed.alerts:
        lines.append(_("No open alerts in {unit}.").format(unit=escape(listed.unit_name)))
        return "\n".join(lines)
    lines.append(ngettext("🚨 <b>{n} open alert in {unit}</b> (oldest first):",
                          "🚨 <b>{n} open alerts in {unit}</b> (oldest first):",
                          listed.total).format(n=fmt_number(listed.total),
                                               unit=escape(listed.unit_name)))
    lines += [_alert_line(v) for v in listed.alerts]
    if listed.total > len(listed.alerts):
        lines.append(_("… +{n} more: handle these first, then tap again.").format(
            n=fmt_number(listed.total - len(listed.alerts))))
    return "\n".join(lines)


def alerts_buttons(listed: AlertsToHandle) -> Buttons:
    """A "handled" button per listed alert, two a row."""
    buttons = [(_("✅ {name} handled").format(name=v.member_name[:30]),
                NEXT_HANDLED.encode(listed.unit_id, v.alert_id)) for v in listed.alerts]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


def step_refused(refusal: StepRefusal) -> str:
    if refusal is StepRefusal.NOT_ALLOWED:
        return _("Only unit leaders and administrators can do this.")
    if refusal is StepRefusal.STALE_DAY:
        return _("This button is from an earlier day. Send /status for today's figures.")
    return _("You can only act on your own unit and the units under it.")
