"""`selfreport org import|invite|holiday|schedule`: the operator's roster and calendar tools.

Output is translated like the bot's messages, in the language of the operator's shell
(LC_ALL, LC_MESSAGES, LANG: zh* → Chinese, anything else → English; C, POSIX or unset → the
organisation's DEFAULT_LOCALE).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, cli_date, locale_of, unit_at
from bot.config import Settings
from bot.db.models import Role
from bot.i18n import _

INVITE_LINK = "https://t.me/{bot}?start={code}"


async def cmd_org_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.render.roster import describe_problem, summary_lines
    from bot.services.roster.apply import import_roster
    from bot.services.roster.file import (
        MAX_ROSTER_BYTES,
        FileProblem,
        FileProblemCode,
        read_roster,
    )

    with locale_of(settings):
        path = Path(args.file)
        try:
            with path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(MAX_ROSTER_BYTES + 1)
        except OSError as exc:
            raise CliError(_("cannot read {file}: {reason}").format(
                file=args.file, reason=exc.strerror or exc)) from None
        if size > MAX_ROSTER_BYTES:  # say how large it really is, not what was read of it
            raise CliError(f"{args.file}: " + describe_problem(FileProblem(
                FileProblemCode.TOO_LARGE, {"size": size, "limit": MAX_ROSTER_BYTES})))
        parsed = read_roster(data, filename=path.name)
        if parsed.problems:
            raise CliError(f"{args.file}: {describe_problem(parsed.problems[0])}")
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                summary = await import_roster(
                    session, parsed, now=datetime.now(UTC), dry_run=args.dry_run,
                    skip_bad=args.skip_bad, actor="cli", source=path.name,
                    default_timezone=settings.default_timezone)
        finally:
            await db.dispose()
        for line in summary_lines(summary, details=args.dry_run or args.list):
            print(line)
        return 1 if summary.stopped else 0


async def cmd_org_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.i18n import fmt_datetime
    from bot.services.members.onboarding import MAX_INVITE_DAYS, MAX_INVITE_USES, create_invite

    with locale_of(settings):
        if not 1 <= args.uses <= MAX_INVITE_USES:
            raise CliError(_("--uses must be between 1 and {limit}").format(
                limit=MAX_INVITE_USES))
        if not 1 <= args.days <= MAX_INVITE_DAYS:
            raise CliError(_("--days must be between 1 and {limit}").format(
                limit=MAX_INVITE_DAYS))
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                unit = await unit_at(session, args.unit)
                invite = await create_invite(
                    session, unit=unit, role=Role(args.role), uses=args.uses, days=args.days,
                    created_by=None, now=datetime.now(UTC), actor="cli")
        finally:
            await db.dispose()
        bot = args.bot_username.lstrip("@") if args.bot_username else None
        print(_("Invite code: {code}").format(code=invite.code))
        print(_("For {unit} as {role}; {uses} use(s), valid until {until}.").format(
            unit=args.unit, role=args.role, uses=invite.uses_left,
            until=fmt_datetime(invite.expires_at, tz=settings.default_timezone)))
        print(_("Link: {link}").format(link=INVITE_LINK.format(
            bot=bot or _("<bot username>"), code=invite.code)))
        if bot is None:
            print(_("(Pass --bot-username to print the finished link.)"))
        return 0


async def cmd_org_holiday(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.i18n import fmt_date
    from bot.services.reports.holidays import add_holiday, list_holidays, remove_holiday

    with locale_of(settings):
        day = cli_date(args.date) if getattr(args, "date", None) else None
        db = Database.from_url(settings.database_url)
        now = datetime.now(UTC)
        try:
            async with db.transaction() as session:
                unit = await unit_at(session, args.unit)
                if args.holiday_command == "add":
                    assert day is not None
                    name = " ".join(args.name)[:64]
                    created = await add_holiday(session, unit, day, name, now=now, actor="cli")
                    text = (_("Holiday added: {date} {name}") if created
                            else _("Holiday updated: {date} {name}"))
                    print(text.format(date=fmt_date(day), name=name).rstrip())
                elif args.holiday_command == "remove":
                    assert day is not None
                    if not await remove_holiday(session, unit, day, now=now, actor="cli"):
                        raise CliError(_("{unit} has no holiday on {date}").format(
                            unit=args.unit, date=fmt_date(day)))
                    print(_("Holiday removed: {date}").format(date=fmt_date(day)))
                else:
                    holidays = await list_holidays(session, unit)
                    if not holidays:
                        print(_("No holidays set on {unit}.").format(unit=args.unit))
                    for holiday in holidays:
                        print(f"{holiday.day.isoformat()}  {fmt_date(holiday.day)}  "
                              f"{holiday.name}".rstrip())
        finally:
            await db.dispose()
        return 0


async def cmd_org_schedule(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.services.reports.holidays import set_skip_weekends
    from bot.services.reports.schedule import schedule_for

    with locale_of(settings):
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                unit = await unit_at(session, args.unit)
                if args.skip_weekends is not None:
                    value = {"yes": True, "no": False, "inherit": None}[args.skip_weekends]
                    await set_skip_weekends(session, unit, value, now=datetime.now(UTC),
                                            actor="cli")
                schedule = await schedule_for(session, unit, settings.default_timezone)
        finally:
            await db.dispose()
        print(_("{unit}: prompt {prompt}, reminders {reminders}, deadline {deadline}, "
                "time zone {zone}; weekends {weekends}").format(
            unit=args.unit, prompt=schedule.prompt.strftime("%H:%M"),
            reminders=", ".join(t.strftime("%H:%M") for t in schedule.reminders) or "—",
            deadline=schedule.deadline.strftime("%H:%M"), zone=schedule.timezone,
            weekends=_("off") if schedule.skip_weekends else _("working days")))
        return 0


def add_org_commands(org: Any, add: Callable[..., Any]) -> None:
    """Register the commands under `selfreport org`."""
    imp = add("import", cmd_org_import, "load units and members from a roster (CSV or XLSX)",
              org)
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true",
                     help="show what would change, change nothing")
    imp.add_argument("--skip-bad", action="store_true",
                     help="import the good rows even when some rows are bad")
    imp.add_argument("--list", action="store_true", help="list every change, not only counts")

    inv = add("invite", cmd_org_invite, "create an invite link to a unit", org)
    inv.add_argument("unit", metavar="UNIT", help="the unit's path, e.g. 'Group/Company A'")
    inv.add_argument("--role", choices=[r.value for r in Role], default=Role.MEMBER.value)
    inv.add_argument("--uses", type=int, default=1, help="how many people may join (default 1)")
    inv.add_argument("--days", type=int, default=7, help="valid for this many days (default 7)")
    inv.add_argument("--bot-username", metavar="NAME", help="the bot's @username, for the link")

    hol = org.add_parser("holiday", help="days off for a unit and its subtree",
                         description="days off for a unit and its subtree").add_subparsers(
        dest="holiday_command", required=True, metavar="ACTION")
    h_add = add("add", cmd_org_holiday, "add a holiday", hol)
    h_add.add_argument("unit", metavar="UNIT")
    h_add.add_argument("date", metavar="DATE", help="YYYY-MM-DD")
    h_add.add_argument("name", metavar="NAME", nargs="*")
    h_list = add("list", cmd_org_holiday, "list the unit's holidays", hol)
    h_list.add_argument("unit", metavar="UNIT")
    h_rm = add("remove", cmd_org_holiday, "remove a holiday", hol)
    h_rm.add_argument("unit", metavar="UNIT")
    h_rm.add_argument("date", metavar="DATE")

    sch = add("schedule", cmd_org_schedule, "show a unit's effective schedule; change it", org)
    sch.add_argument("unit", metavar="UNIT")
    sch.add_argument("--skip-weekends", choices=["yes", "no", "inherit"],
                     help="no prompts on Saturdays and Sundays (inherit: as the parent unit)")
