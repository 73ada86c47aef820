"""`selfreport export`: the reports of a date range as XLSX or CSV, for an operator.

The same rows as the bot's /export (services.reports.export), for the whole organisation or one
unit's subtree; audited with the actor "cli". Messages are in the shell's language.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import CliError
from bot.config import Settings
from bot.i18n import _


def add_export_command(sub: Any, add: Any) -> None:
    export = add("export", cmd_export, "write the reports of a date range (default: the last "
                 "7 days) to an XLSX or CSV file, one row per member per day", sub)
    export.add_argument("--from", dest="start", metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", metavar="YYYY-MM-DD")
    export.add_argument("--unit", metavar="PATH", help="only this unit's subtree, e.g. "
                        "'Group/Company A' (default: everything)")
    export.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    export.add_argument("--out", metavar="FILE", help="default: reports_FROM-TO.xlsx|csv")


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.common import locale_of, unit_at
    from bot.db import Database
    from bot.render.export import export_csv, export_workbook
    from bot.render.leaders import export_filename
    from bot.services.org.permissions import operator
    from bot.services.reports.export import InvalidRange, export_days, parse_range, record_export

    with locale_of(settings):
        today = datetime.now(ZoneInfo(settings.default_timezone)).date()
        text = " ".join(x for x in (args.start, args.end) if x)
        if args.end and not args.start:
            raise CliError(_("--to needs --from"))
        try:
            start, end = parse_range(text, today)
        except InvalidRange as invalid:
            raise CliError(_("bad date range ({reason}): use YYYY-MM-DD, at most 92 days, "
                             "--from before --to").format(reason=invalid.code.value)) from None
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                scope = operator()
                if args.unit:
                    unit = await unit_at(session, args.unit)
                    scope = operator(unit)
                zone = settings.default_timezone
                write = export_csv if args.format == "csv" else export_workbook
                data, rows = await write(export_days(session, scope, start, end), zone)
                await record_export(session, scope, start=start, end=end, rows=rows,
                                    now=datetime.now(ZoneInfo("UTC")))
        finally:
            await db.dispose()
        name = export_filename(start, end)
        if args.format == "csv":
            name = name.removesuffix(".xlsx") + ".csv"
        out = Path(args.out or name)
        out.write_bytes(data)
        print(_("{n} rows ({start} to {end}) written to {path}").format(
            n=rows, start=start.isoformat(), end=end.isoformat(), path=out))
    return 0
