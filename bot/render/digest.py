"""The digest as one HTML message within Telegram's 4096 characters, and /status's buttons.

Sections, in order: figures and change since yesterday; abnormal cases (or the zero report
line, or how far from one: bot.render.verdict); open alerts (not marked handled); sub-units
ranked by rate; who has not reported. When the whole does not fit, each section keeps what
fits its share and ends with "+N more — /status". Lengths are counted on the HTML source,
which is never shorter than the text Telegram counts.

Render inside ``use_locale(recipient's locale)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import chain, groupby

from bot.i18n import (
    _,
    colon,
    current_locale,
    fmt_date,
    fmt_datetime,
    fmt_number,
    fmt_time,
    join_clauses,
    join_list,
    ngettext,
    unit_path,
)
from bot.render.callbacks import Codec, Int
from bot.render.next_steps import next_step_buttons
from bot.render.payloads import Buttons, Payload, inline_keyboard, message_payload, payload_for
from bot.render.reports import short_flags, symptom_label, temperature_text
from bot.render.verdict import verdict
from bot.render.webapp import dashboard_button
from bot.services.digest.compute import (
    AbnormalCase,
    Figures,
    Missing,
    OpenAlertLine,
    Reach,
    SubUnit,
    UnitDigest,
)
from bot.services.digest.queue import DigestText
from bot.services.digest.status import StatusRefusal

TEXT_LIMIT = 4096
NAMES_PER_GROUP = 20
# Room kept for each later section while an earlier one is being fitted.
_RESERVE = 450
# /status's drill-down buttons: "st:<unit id>" (fits a 32-bit id column), and the page turns
# of a unit with many sub-units: "sp:<unit id>:<page>".
STATUS = Codec("st", Int("unit", 9))
STATUS_PAGE = Codec("sp", Int("unit", 9), Int("page", 3))
STATUS_PATTERN = STATUS.pattern
# Sub-units a page: 20 buttons of at most 40 characters (+ the rate) stay far below Telegram's
# 100 buttons and 10 kB a keyboard even in Chinese (3 bytes a character); 98 did not.
UNITS_PER_PAGE = 20


@dataclass(frozen=True)
class _Item:
    text: str
    weight: int = 1  # how many people or units the line stands for, for "+N more"


@dataclass(frozen=True)
class _Section:
    header: str
    items: Sequence[_Item]
    rest: int = 0  # the weight of lines not even drawn: past the text's limit whatever fits


def rate_text(figures: Figures) -> str:
    rate = figures.rate
    if rate is None:
        return _("nobody expected")
    return fmt_number(round(rate * 100, 1)) + "%"


def _signed(value: float) -> str:
    text = fmt_number(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def _summary(d: UnitDigest) -> list[str]:
    f = d.figures
    lines = [_("Reported: <b>{reported}</b> / {expected} ({rate})").format(
        reported=fmt_number(f.reported), expected=fmt_number(f.expected), rate=rate_text(f))]
    if d.day_off:
        lines.append(_("Today is a day off for this unit: nobody is expected to report."))
    if f.rate is not None and d.previous.rate is not None:
        points = round((f.rate - d.previous.rate) * 100, 1)
        lines.append(_("Since yesterday: {points} points, {count} reports").format(
            points=_signed(points), count=_signed(f.reported - d.previous.reported)))
    elif f.rate is not None:
        lines.append(_("Since yesterday: nobody was expected yesterday."))
    filled, confirmed = d.shifts
    if filled:
        lines.append(_("🛡 Duty today: {filled} shifts filled, {confirmed} confirmed, "
                       "{unconfirmed} unconfirmed").format(
            filled=fmt_number(filled), confirmed=fmt_number(confirmed),
            unconfirmed=fmt_number(filled - confirmed)))
    return lines


def _label(names: tuple[str, ...]) -> str:
    """A sub-unit's place below the digest's unit, with the reader's joiner."""
    return escape(unit_path(names))


def _case_line(case: AbnormalCase, timezone: str) -> str:
    if case.relation is None:
        who = escape(case.person)
    else:
        who = _("{person} ({relation} of {member})").format(
            person=escape(case.person), relation=escape(case.relation),
            member=escape(case.member_name))
    details = []
    if case.temperature is not None:
        details.append(temperature_text(case.temperature))
    if case.symptoms:
        details.append(escape(join_list(symptom_label(s) for s in case.symptoms)))
    details += short_flags(contact_case=case.contact_case, travel=case.travel,
                           isolation=case.isolation)
    return _("• <b>{who}</b> — {unit}; {details}; reported at {time}").format(
        who=who, unit=_label(case.unit_names), details=join_clauses(details) or "—",
        time=fmt_time(case.reported_at, "short", tz=timezone))


def _abnormal(d: UnitDigest) -> _Section:
    if not d.cases and not d.figures.abnormal:
        return _Section("\n".join(verdict(d.figures, abnormal=0, day_off=d.day_off)), [])
    header = ngettext("⚠️ <b>{n} abnormal case</b>", "⚠️ <b>{n} abnormal cases</b>",
                      len(d.cases)).format(n=fmt_number(len(d.cases)))
    return _Section(header, [_Item(_case_line(c, d.timezone)) for c in d.cases])


def _alert_line(alert: OpenAlertLine, timezone: str) -> str:
    level = (_("not escalated") if alert.level == 0
             else _("escalation level {level}").format(level=fmt_number(alert.level)))
    return _("• <b>{name}</b> — {unit}; open since {since}; {level}").format(
        name=escape(alert.member_name), unit=_label(alert.unit_names),
        since=escape(fmt_datetime(alert.since, "short", tz=timezone)), level=level)


def _open_alerts(d: UnitDigest) -> _Section | None:
    if not d.alerts:
        return None
    header = ngettext("🔔 <b>{n} open alert</b> (not marked handled):",
                      "🔔 <b>{n} open alerts</b> (not marked handled):",
                      len(d.alerts)).format(n=fmt_number(len(d.alerts)))
    return _Section(header, [_Item(_alert_line(a, d.timezone)) for a in d.alerts])


def _names(members: Sequence[Missing]) -> str:
    shown = join_list(escape(m.name) for m in members[:NAMES_PER_GROUP])
    if len(members) > NAMES_PER_GROUP:
        shown += " " + _("+{n} more").format(n=fmt_number(len(members) - NAMES_PER_GROUP))
    return shown


def _subunit_line(s: SubUnit) -> str:
    name = escape(s.name) if s.unit_id is not None else _("{unit} (direct members)").format(
        unit=escape(s.name))
    return _("• {name}: {reported}/{expected} ({rate}), abnormal: {abnormal}").format(
        name=name, reported=fmt_number(s.figures.reported),
        expected=fmt_number(s.figures.expected), rate=rate_text(s.figures),
        abnormal=fmt_number(s.figures.abnormal))


def _subunits(d: UnitDigest) -> _Section | None:
    if not d.subunits:
        return None
    return _Section(_("<b>Sub-units, lowest reporting rate first:</b>"),
                    [_Item(_subunit_line(s)) for s in d.subunits])


def _missing(d: UnitDigest, *, full: bool) -> _Section | None:
    """Names grouped by unit, 20 a group then "+N more"; `full` (/status): every name, 20 a
    line, so that drilling down to a small unit shows all of them. Lines are drawn only
    until they pass the text's limit (the root of 100,000 members has ~20,000 names: drawing
    them all took as long as computing the digest); the rest is counted, not drawn."""
    if not d.missing:
        return None
    pending = (m for m in d.missing if m.reach is Reach.PENDING)
    groups: Iterator[tuple[str, list[Missing]]] = chain(
        ((colon(f"<i>{_label(label)}</i>", "{names}"), list(group))
         for label, group in groupby(pending, key=lambda m: m.unit_names)),
        # Of a large subtree only its first units' are read (more than the text holds):
        # their blocked and unlinked would be a part counted as all; the rest is counted.
        ((title, members) for reach, title in (
            (Reach.BLOCKED, _("🚫 Blocked the bot: {names}")),
            (Reach.UNLINKED, _("🔗 Never linked to the bot: {names}")))
         if d.missing_complete and (members := d.missing_by(reach))))
    items: list[_Item] = []
    used = 0
    for template, members in groups:
        if used > TEXT_LIMIT:
            break
        if not full:
            items.append(_Item(template.format(names=_names(members)), len(members)))
        else:
            for i in range(0, len(members), NAMES_PER_GROUP):
                chunk = members[i:i + NAMES_PER_GROUP]
                items.append(_Item(template.format(
                    names=join_list(escape(m.name) for m in chunk)), len(chunk)))
                used += len(items[-1].text) + 1
                if used > TEXT_LIMIT:
                    break
            continue
        used += len(items[-1].text) + 1
    drawn = sum(item.weight for item in items)
    header = ngettext("⏳ <b>{n} not reported:</b>", "⏳ <b>{n} not reported:</b>",
                      len(d.missing)).format(n=fmt_number(len(d.missing)))
    return _Section(header, items, rest=len(d.missing) - drawn)


def _fit(section: _Section, budget: int) -> str:
    """The header and as many items as fit `budget`, then "+N more" for the rest."""
    lines = [section.header]
    used = len(section.header)
    total = sum(i.weight for i in section.items) + section.rest
    shown = 0
    for item in section.items:
        rest = total - shown - item.weight
        more = _more(rest) if rest else ""
        if used + 1 + len(item.text) + (1 + len(more) if more else 0) > budget:
            lines.append(_more(total - shown))
            break
        lines.append(item.text)
        used += 1 + len(item.text)
        shown += item.weight
    else:
        if total > shown:
            lines.append(_more(total - shown))
    return "\n".join(lines)


def _more(n: int) -> str:
    return _("… +{n} more: see /status").format(n=fmt_number(n))


def digest_text(d: UnitDigest, *, title: Callable[[], str] | None = None,
                limit: int = TEXT_LIMIT, full_lists: bool = False) -> str:
    """The whole digest. `title` replaces the daily heading (/status says "so far");
    `full_lists` lists every missing name (as far as the limit allows)."""
    heading = title() if title else _("📊 <b>Daily digest: {unit}</b>").format(
        unit=escape(d.unit_name))
    head = "\n".join([heading, escape(fmt_date(d.day, "full")), "", *_summary(d)])
    sections = [s for s in (_abnormal(d), _open_alerts(d), _subunits(d),
                            _missing(d, full=full_lists)) if s is not None]
    parts = [head]
    remaining = limit - len(head)
    for index, section in enumerate(sections):
        later = sections[index + 1:]
        reserve = sum(min(_RESERVE, _length(s)) + 2 for s in later)
        text = _fit(section, remaining - reserve - 2)
        parts.append(text)
        remaining -= len(text) + 2
    return "\n\n".join(parts)


def _length(section: _Section) -> int:
    return len(section.header) + sum(len(i.text) + 1 for i in section.items)


def status_title(d: UnitDigest) -> Callable[[], str]:
    return lambda: _("📋 <b>Status so far: {unit}</b>").format(unit=escape(d.unit_name))


def status_callback(unit_id: int) -> str:
    return STATUS.encode(unit_id)


def parse_status_callback(data: str | None) -> int | None:
    """The unit id of a /status button; None for anything malformed (it is attacker-made:
    only the data this module writes is taken). Whether the asker may see that unit is the
    service's to decide."""
    values = STATUS.decode(data)
    if values is None or values[0] < 1 or status_callback(values[0]) != data:
        return None
    return int(values[0])


@lru_cache(maxsize=64)
def _daily(view: DigestText, locale: str) -> str:
    """One text per digest and language, however many recipients share them."""
    return digest_text(view.digest)


@payload_for.register
def _digest(view: DigestText) -> Payload:
    buttons = (next_step_buttons(view.digest, drill=True) + dashboard_button()
               if view.actions else [])
    return message_payload(_daily(view, current_locale()),
                           reply_markup=inline_keyboard(buttons) if buttons else None)


def status_buttons(d: UnitDigest, *, up: int | None, page: int = 0) -> Buttons:
    """The next steps (render.next_steps), a button per sub-unit (lowest rate first, two a
    row), UNITS_PER_PAGE a page with buttons to the pages before and after, and one up to
    the parent."""
    units = [s for s in d.subunits if s.unit_id is not None]
    pages = max(1, -(-len(units) // UNITS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = units[page * UNITS_PER_PAGE:(page + 1) * UNITS_PER_PAGE]
    buttons = [(f"{s.name[:40]} · {rate_text(s.figures)}", status_callback(s.unit_id))
               for s in shown if s.unit_id is not None]
    rows = next_step_buttons(d, drill=False) + [buttons[i:i + 2]
                                                for i in range(0, len(buttons), 2)]
    if pages > 1:
        turn = []
        if page > 0:
            turn.append((_("◀️ {page}/{pages}").format(page=page, pages=pages),
                         STATUS_PAGE.encode(d.unit_id, page - 1)))
        if page < pages - 1:
            turn.append((_("{page}/{pages} ▶️").format(page=page + 2, pages=pages),
                         STATUS_PAGE.encode(d.unit_id, page + 1)))
        rows.append(turn)
    if up is not None:
        rows.append([(_("⬆️ Up"), status_callback(up))])
    return rows + dashboard_button()


def parse_status_page(data: str | None) -> tuple[int, int] | None:
    """(unit id, page) of a page-turn button; None for anything malformed."""
    values = STATUS_PAGE.decode(data)
    if values is None or values[0] < 1 or STATUS_PAGE.encode(*values) != data:
        return None
    return int(values[0]), int(values[1])


def status_refused(refusal: StatusRefusal) -> str:
    if refusal is StatusRefusal.NOT_ALLOWED:
        return _("Only unit leaders and admins can see the reporting status.")
    if refusal is StatusRefusal.NO_UNITS:
        return _("There are no units yet.")
    return _("You can only see the status of your own unit and the units under it.")
