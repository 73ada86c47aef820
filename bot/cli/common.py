"""What every `selfreport` subcommand shares: its one-line error, the operator's language,
and finding a unit or a date given on the command line.

Output is translated like the bot's messages, in the language of the operator's shell
(LC_ALL, LC_MESSAGES, LANG: zh* → Chinese, anything else → English; C, POSIX or unset → the
organisation's DEFAULT_LOCALE).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.config import Settings
from bot.db.models import Unit
from bot.i18n import _, use_locale


class CliError(Exception):
    """Bad input on the command line: printed as one line, exit status 2."""


def cli_locale(environ: Mapping[str, str], default: str) -> str:
    value = next((environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(v)), "")
    base = value.split(".", 1)[0].split("@", 1)[0]
    if base in ("", "C", "POSIX"):
        return default
    return "zh_CN" if base.lower().startswith("zh") else "en"


def locale_of(settings: Settings) -> Any:
    return use_locale(cli_locale(os.environ, settings.default_locale))


async def unit_at(session: Any, path: str) -> Unit:
    from bot.services.reports.holidays import find_unit, split_unit_path

    parts = split_unit_path(path)
    unit = await find_unit(session, parts) if parts else None
    if unit is None:
        raise CliError(_("no unit “{path}”: give its path from the root, e.g. "
                         "“Group/Company A/Branch 3” (see `selfreport org tree`)").format(
            path=path))
    return unit


def cli_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(_("“{text}” is not a date: use YYYY-MM-DD").format(text=text)) from None


