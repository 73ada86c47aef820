"""`selfreport duty import FILE [--dry-run] [--skip-bad]`: load duty shifts from a file.

Same rules as `org import`: a file with bad rows lists each with its line and reason and
changes nothing (exit status 1) unless `--skip-bad`; importing it twice changes nothing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import CliError
from bot.config import Settings
from bot.i18n import _


async def cmd_duty_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.common import locale_of
    from bot.db import Database
    from bot.render.duty import import_lines
    from bot.render.roster import describe_problem
    from bot.services.duty.file import read_duty
    from bot.services.duty.importer import import_duty
    from bot.services.roster.file import MAX_ROSTER_BYTES

    with locale_of(settings):
        path = Path(args.file)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_ROSTER_BYTES + 1)
        except OSError as exc:
            raise CliError(_("cannot read {file}: {reason}").format(
                file=args.file, reason=exc.strerror or exc)) from None
        parsed = read_duty(data, filename=os.path.basename(path))
        if parsed.problems:
            raise CliError(f"{args.file}: {describe_problem(parsed.problems[0])}")
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                summary = await import_duty(session, parsed, scope=None, now=datetime.now(UTC),
                                            dry_run=args.dry_run, skip_bad=args.skip_bad,
                                            actor="cli", source=path.name)
        finally:
            await db.dispose()
        for line in import_lines(summary):
            print(line)
        return 1 if summary.stopped else 0


def add_duty_commands(sub: Any, add: Callable[..., Any]) -> None:
    """Register `selfreport duty import`."""
    duty = sub.add_parser("duty", help="duty rosters").add_subparsers(
        dest="duty_command", required=True, metavar="ACTION")
    imp = add("import", cmd_duty_import,
              "load duty shifts from a file (CSV or XLSX: unit,date,start,end,post,phone)", duty)
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true",
                     help="show what would change, change nothing")
    imp.add_argument("--skip-bad", action="store_true",
                     help="import the good rows even when some rows are bad")
