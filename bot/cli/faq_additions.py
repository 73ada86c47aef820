"""`selfreport faq export-additions|drop-additions`: the entries admins promoted in the chat
(/faq_add, kept in the database) as faq.yaml text to merge into the files, then dropped.

The flow: export → paste the entries into locales/<locale>/faq.yaml (and the same ids, translated,
into the other locales: `faq check` wants every id in each) → `faq check` → ship → drop-additions,
which by default drops only the additions the files now hold, so nothing promoted after the
export is lost. Output is English, like `faq check`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import CliError
from bot.config import SUPPORTED_LOCALES, Settings
from bot.i18n import LOCALES_DIR


def _locale(args: argparse.Namespace) -> str | None:
    if args.locale is not None and args.locale not in SUPPORTED_LOCALES:
        raise CliError(f"--locale: unknown locale {args.locale!r} "
                       f"(one of {', '.join(SUPPORTED_LOCALES)})")
    return str(args.locale) if args.locale else None


async def _additions(settings: Settings, locale: str | None) -> list[Any]:
    from bot.db import Database
    from bot.services.faq.promote import additions

    db = Database.from_url(settings.database_url)
    try:
        async with db.transaction() as session:
            return await additions(session, locale)
    finally:
        await db.dispose()


async def cmd_export_additions(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.faq.additions import document
    from bot.services.faq.kb import Category, KbError, load_knowledge_base

    found = await _additions(settings, _locale(args))
    if not found:
        print("no additions: nothing to export", file=sys.stderr)
        return 0
    docs = []
    for locale in sorted({a.locale for a in found}):
        mine = [a for a in found if a.locale == locale]
        try:
            titles = {c.id: c.title for c in
                      load_knowledge_base(Path(args.dir) / locale).categories}
        except (KbError, OSError):
            titles = {}
        used = list(dict.fromkeys(a.category for a in mine))
        categories = [Category(id=c, title=titles.get(c, c)) for c in used]
        docs.append(
            f"# {len(mine)} entr{'y' if len(mine) == 1 else 'ies'} added in the chat (/faq_add)"
            f" for {locale}: merge them under `entries:` in {locale}/faq.yaml (its categories"
            f" are listed so that this file checks on its own), add them to the other locales"
            f" with the same ids, run `selfreport faq check`, then `faq drop-additions`.\n"
            + document(locale, categories, [a.mapping() for a in mine]))
    print("---\n".join(docs), end="")
    return 0


async def cmd_drop_additions(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.services.faq.kb import KbError, load_all
    from bot.services.faq.promote import drop
    from bot.services.org.permissions import operator

    locale = _locale(args)
    merged: set[str] | None = None
    if not args.all:
        try:
            kbs = load_all(Path(args.dir))
        except KbError as exc:
            raise CliError(f"{exc.problems[0]} (see `selfreport faq check`); --all drops the "
                           "additions without looking at the files") from None
        found = await _additions(settings, locale)
        merged = {a.entry_id for a in found
                  if a.locale in kbs and kbs[a.locale].entry(a.entry_id) is not None}
    db = Database.from_url(settings.database_url)
    try:
        async with db.transaction() as session:
            dropped = await drop(session, locale=locale, entry_ids=merged, actor=operator(),
                                 now=datetime.now(UTC))
            kept = await _count(session, locale)
    finally:
        await db.dispose()
    for a in dropped:
        print(f"dropped {a.locale}:{a.entry_id}")
    print(f"{len(dropped)} addition(s) dropped, {kept} kept"
          + ("" if args.all or not kept else " (not in the files yet; --all drops them too)"))
    return 0


async def _count(session: Any, locale: str | None) -> int:
    from bot.services.faq.promote import additions

    return len(await additions(session, locale))


def add_faq_addition_commands(faq: Any, add: Callable[..., Any]) -> None:
    """Register `selfreport faq export-additions|drop-additions` under `faq`."""
    export = add("export-additions", cmd_export_additions, "print the entries added in the "
                 "chat (/faq_add) as faq.yaml text, to merge into the files", faq)
    drop = add("drop-additions", cmd_drop_additions, "delete the entries added in the chat "
               "that the files now hold (merged); --all: every one", faq)
    for parser in (export, drop):
        parser.add_argument("--locale", metavar="LOCALE",
                            help=f"only this locale ({', '.join(SUPPORTED_LOCALES)})")
        parser.add_argument("--dir", default=str(LOCALES_DIR), metavar="DIR",
                            help=f"the locales directory (default {LOCALES_DIR})")
    drop.add_argument("--all", action="store_true",
                      help="drop them whether or not the files hold them yet")
