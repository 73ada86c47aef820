"""Texts (HTML) and buttons of the admins' commands: /import, /invite, /setschedule, /members.

Callback data (the codecs below; handlers.admin checks the draft or the scope again):
``im:ok:<token>`` apply the import whose dry run is shown, ``im:no`` cancel it;
``mb:p:<unit>:<page>`` a page of a unit's members, ``mb:m:<member>`` one member's details.
"""

from __future__ import annotations

from html import escape

from bot.db.models import Invite, LeaveKind
from bot.i18n import (
    _,
    aside,
    colon,
    fmt_date,
    fmt_datetime,
    join_list,
    ngettext,
    pgettext,
    unit_path,
)
from bot.render.callbacks import Codec, Int, Token
from bot.render.onboarding import role_label
from bot.render.payloads import Buttons
from bot.render.roster import describe_change, describe_problem, describe_row_error
from bot.services.org.admin import ArgsError, InviteOutcome, InviteStatus
from bot.services.org.contacts import UnitRef
from bot.services.org.unit_admin import (
    PAGE_SIZE,
    MemberDetail,
    MemberPage,
    ScheduleArgsError,
    ScheduleView,
    Setting,
)
from bot.services.roster.apply import ImportSummary

IMPORT_CONFIRM = Codec("im:ok", Token("token", 8, charset="[0-9a-f]"))
IMPORT_CANCEL = Codec("im:no")
MEMBERS_PAGE = Codec("mb:p", Int("unit", digits=12), Int("page", digits=6))
MEMBER = Codec("mb:m", Int("member", digits=12))
INVITE_LINK = "https://t.me/{bot}?start={code}"
# Room left for the verdict lines under a long list of changes or bad rows.
MAX_TEXT = 3800
MAX_LISTED = 30


def admins_only() -> str:
    return _("Only administrators can do this.")


def leaders_only() -> str:
    return _("Only unit leaders and administrators can do this.")


def _path(names: tuple[str, ...]) -> str:
    return escape(unit_path(names))


def unit_problem(status: str, units: tuple[UnitRef, ...] = ()) -> str:
    if status == "outside_scope":
        return _("That unit is outside your own units: you can act on your unit and the "
                 "units below it only.")
    if status == "ambiguous":
        return "\n".join([_("Several units match; send the command again with the unit's "
                            "path, e.g. <code>Group/Company A</code>:")]
                         + [f"• {_path(u.names)}" for u in units])
    return _("No unit by that name. Give its name or its path from the top, e.g. "
             "<code>Group/Company A</code>.")


# --- /import -------------------------------------------------------------------------------


def import_ask_file() -> str:
    return _("Send me the roster as a document: a CSV file or an Excel workbook (.xlsx) with "
             "the columns unit, name, phone, role, household and digest, at most 5 MB. "
             "I will show what it changes before anything is changed.")


def import_not_a_file() -> str:
    return _("This is not a roster file: send the roster as a document (a CSV file or an "
             "Excel workbook), not as a photo. Nothing was changed.")


def import_too_large(size: int, limit: int) -> str:
    return _("The file is too large ({size} MB; at most {limit} MB). Nothing was changed.") \
        .format(size=round(size / 1024 / 1024, 1), limit=limit // (1024 * 1024))


def import_download_failed() -> str:
    return _("I could not fetch the file from Telegram. Please send it again.")


def import_changed_file() -> str:
    return _("The file is no longer the one that was checked. Please send it again. "
             "Nothing was changed.")


def import_expired() -> str:
    return _("This import is no longer waiting for confirmation. Send the file again.")


def import_cancelled() -> str:
    return _("Import cancelled. Nothing was changed.")


def _limited(lines: list[str], header: list[str], footer: list[str]) -> str:
    """The header, as many listed lines as fit, a "+N more" line, the footer."""
    budget = MAX_TEXT - sum(len(x) + 1 for x in header + footer)
    shown: list[str] = []
    for i, line in enumerate(lines):
        if i >= MAX_LISTED or budget - len(line) - 1 < 40:
            shown.append(_("… and {n} more").format(n=len(lines) - i))
            break
        shown.append(line)
        budget -= len(line) + 1
    return "\n".join(header + shown + footer)


def _counts(summary: ImportSummary) -> str:
    return _("added {added}, updated {updated}, reactivated {reactivated}, deactivated "
             "{deactivated}, unchanged {unchanged}; new units {units}, reporting chains "
             "changed {chains}").format(
        added=summary.added, updated=summary.updated, reactivated=summary.reactivated,
        deactivated=summary.deactivated, unchanged=summary.unchanged,
        units=summary.units_created, chains=summary.chains_changed)


def import_preview(summary: ImportSummary, token: str | None) -> tuple[str, Buttons]:
    """The dry run: what would change, the bad rows with their lines, and the buttons."""
    if summary.problems:
        return (escape(describe_problem(summary.problems[0])) + "\n"
                + _("Nothing was changed."), [])
    header = [_("<b>Roster check</b>"), escape(_("Would be: {counts}").format(
        counts=_counts(summary)))]
    lines = [escape(describe_change(c)) for c in summary.changes
             if c.kind.value != "updated" or c.fields]
    bad = [escape(describe_row_error(e)) for e in summary.bad_rows]
    footer: list[str] = []
    if summary.kept_active:
        footer.append(escape(ngettext(
            "{n} member missing from the good rows would be kept active, since a bad row may "
            "be theirs.",
            "{n} members missing from the good rows would be kept active, since bad rows may "
            "be theirs.", summary.kept_active).format(n=summary.kept_active)))
    if bad:
        header = header + [_("<b>Bad rows ({n}), which would be skipped:</b>").format(
            n=len(bad))]
        lines = bad + ([""] if lines else []) + lines
    if not summary.rows:
        footer.append(_("No row can be imported. Nothing was changed."))
        return _limited(lines, header, footer), []
    footer.append(_("Nothing has been changed yet."))
    if token is None:
        return _limited(lines, header, footer), []
    ok = _("✅ Import the good rows") if bad else _("✅ Confirm import")
    return _limited(lines, header, footer), [[(ok, IMPORT_CONFIRM.encode(token)),
                                              (_("✖️ Cancel"), IMPORT_CANCEL.encode())]]


def import_done(summary: ImportSummary) -> str:
    if summary.problems:
        return escape(describe_problem(summary.problems[0])) + "\n" + _("Nothing was changed.")
    text = _("<b>Roster imported.</b>") + "\n" + escape(_("Done: {counts}").format(
        counts=_counts(summary)))
    if summary.bad_rows:
        text += "\n" + ngettext("{n} bad row was skipped.", "{n} bad rows were skipped.",
                                len(summary.bad_rows)).format(n=len(summary.bad_rows))
    return text


# --- /invite -------------------------------------------------------------------------------


def invite_args_problem(code: ArgsError) -> str:
    if code is ArgsError.TOO_LONG:
        return _("That is too long for an invite.")
    return _("Use <code>/invite [UNIT] [role] [uses] [days]</code>, e.g. "
             "<code>/invite Company A member 5 7</code>: role is member, leader or admin; "
             "uses from 1 to 10000; days from 1 to 365.")


def invite_result(outcome: InviteOutcome, bot_username: str, timezone: str) -> str:
    if outcome.status is InviteStatus.ROLE_TOO_HIGH:
        return _("You can only invite people with a role up to your own.")
    if outcome.status is not InviteStatus.CREATED:
        return unit_problem(outcome.status.value, outcome.units)
    invite: Invite | None = outcome.invite
    assert invite is not None and outcome.unit is not None
    link = INVITE_LINK.format(bot=bot_username, code=invite.code)
    return "\n".join([
        _("<b>Invite to {unit}</b> as {role}").format(unit=_path(outcome.unit.names),
                                                      role=escape(role_label(invite.role))),
        ngettext("{n} use, valid until {until}.", "{n} uses, valid until {until}.",
                 invite.uses_left).format(n=invite.uses_left, until=escape(
                     fmt_datetime(invite.expires_at, tz=timezone))),
        _("Send this link to the person joining:"),
        escape(link),
    ])


# --- /setschedule --------------------------------------------------------------------------


def setting_label(setting: Setting) -> str:
    return {
        Setting.PROMPT: _("Daily question"), Setting.REMINDERS: _("Reminders"),
        Setting.DEADLINE: _("Deadline"), Setting.DIGEST: _("Digest"),
        Setting.TZ: _("Time zone"), Setting.WEEKENDS: _("Weekends"),
    }[setting]


def schedule_text(view: ScheduleView) -> str:
    lines = [_("<b>Schedule of {unit}</b>").format(unit=_path(view.unit))]
    if view.changed:
        lines.insert(0, _("✅ Saved."))
    for line in view.lines:
        if line.setting is Setting.WEEKENDS:
            value = _("no reports") if line.value else _("working days")
        else:
            value = escape(str(line.value)) or pgettext("not set", "none")
        if line.origin is None:
            origin = _("default")
        elif line.origin == view.unit:
            origin = _("set here")
        else:
            origin = _("from {unit}").format(unit=_path(line.origin))
        lines.append(aside(colon(escape(setting_label(line.setting)), f"<b>{value}</b>"),
                           origin))
    lines += ["", _("Change with <code>/setschedule [UNIT] prompt=07:30 "
                    "reminders=10:00,11:30 deadline=12:00 digest=12:30 tz=Asia/Shanghai "
                    "weekends=skip|work</code>; <code>key=inherit</code> takes the value "
                    "from the unit above again.")]
    return "\n".join(lines)


def schedule_problem(code: ScheduleArgsError, key: str, value: str) -> str:
    k, v = escape(key), escape(value)
    texts = {
        ScheduleArgsError.TOO_LONG: _("That is too long."),
        ScheduleArgsError.UNKNOWN_KEY: _("Unknown setting “{key}”: use prompt, reminders, "
                                         "deadline, digest, tz or weekends.").format(key=k),
        ScheduleArgsError.DUPLICATE: _("“{key}” is given twice.").format(key=k),
        ScheduleArgsError.BAD_TIME: _("{key}=“{value}” is not a time: use HH:MM, e.g. "
                                      "{key}=07:30.").format(key=k, value=v),
        ScheduleArgsError.BAD_TIMES: _("{key}=“{value}” is not a list of times: use HH:MM "
                                       "separated by commas, e.g. reminders=10:00,11:30, or "
                                       "reminders=none.").format(key=k, value=v),
        ScheduleArgsError.BAD_ZONE: _("“{value}” is not a time zone: use a name such as "
                                      "Asia/Shanghai or Europe/Berlin.").format(value=v),
        ScheduleArgsError.BAD_WEEKENDS: _("weekends=“{value}”: use weekends=skip (no reports "
                                          "on Saturday and Sunday) or weekends=work.")
        .format(value=v),
        ScheduleArgsError.ORDER: _("The daily question must come before the deadline, and the "
                                   "digest at or after the deadline."),
        ScheduleArgsError.REMINDER_OUTSIDE: _("Reminders {value} are not between the daily "
                                              "question and the deadline.").format(value=v),
    }
    return texts[code] + "\n" + _("Nothing was changed.")


# --- /members ------------------------------------------------------------------------------


def _marks(linked: bool, blocked: bool, on_leave: bool) -> str:
    marks = "" if linked else "⚪"
    marks += "⛔" if blocked else ""
    marks += "🏖" if on_leave else ""
    return marks


def members_text(page: MemberPage) -> tuple[str, Buttons]:
    lines = [_("<b>Members of {unit}</b> ({n})").format(unit=_path(page.unit), n=page.total)]
    if not page.members:
        lines.append(_("No active members."))
    for i, m in enumerate(page.members, page.page * PAGE_SIZE + 1):
        marks = _marks(m.linked, m.blocked, m.on_leave)
        lines.append(f"{i}. {escape(m.name)} — {escape(m.unit)}"
                     + (f" · {escape(role_label(m.role))}" if m.role.value != "member" else "")
                     + (f" {marks}" if marks else ""))
    lines += ["", _("⚪ not linked · ⛔ blocked the bot · 🏖 on leave today"),
              _("Page {page} of {pages}. Tap a name for details.").format(
                  page=page.page + 1, pages=page.pages)]
    buttons: Buttons = [[(m.name[:30], MEMBER.encode(m.member_id)) for m in page.members[i:i + 4]]
                        for i in range(0, len(page.members), 4)]
    nav = []
    if page.page > 0:
        nav.append((_("◀️ Previous"), MEMBERS_PAGE.encode(page.unit_id, page.page - 1)))
    if page.page + 1 < page.pages:
        nav.append((_("Next ▶️"), MEMBERS_PAGE.encode(page.unit_id, page.page + 1)))
    if nav:
        buttons.append(nav)
    return "\n".join(lines), buttons


def member_text(d: MemberDetail) -> str:
    lines = [f"<b>{escape(d.name)}</b>", _("Unit: {unit}").format(unit=_path(d.unit)),
             _("Role: {role}").format(role=escape(role_label(d.role))),
             _("Phone: {phone}").format(phone=escape(d.phone or "—"))]
    if not d.linked:
        lines.append(_("Has not linked Telegram yet."))
    elif d.blocked:
        lines.append(_("Has blocked the bot: gets no messages."))
    else:
        lines.append(_("Linked to Telegram."))
    if d.leave is not None:
        start, end, kind = d.leave
        text = _("Exempt from {start} to {end}") if kind is LeaveKind.EXEMPT else \
            _("On leave from {start} to {end}")
        lines.append(text.format(start=fmt_date(start), end=fmt_date(end)))
    if d.household:
        lines.append(_("Household: {people}").format(people=escape(join_list(
            aside(name, relation) for relation, name in d.household))))
    if d.reported_today:
        lines.append(_("Has reported today."))
    elif d.last_report is not None:
        lines.append(_("Not reported today; last report {date}.").format(
            date=fmt_date(d.last_report)))
    else:
        lines.append(_("No report yet."))
    return "\n".join(lines)


def member_refused() -> str:
    return _("That member is not in your units.")
