"""The `selfreport` command line. Every command exits non-zero with a one-line reason."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.cli.common import CliError
from bot.config import ConfigError, Settings, load_settings
from bot.runtime.logs import setup_logging

DEMO_DATABASE = "sqlite+aiosqlite:///demo.sqlite3"


Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.runner import run

    await run(settings)
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import run_demo

    if "DATABASE_URL" not in os.environ:
        # One demo database per language: the organisation is seeded once, in one language.
        url = DEMO_DATABASE if args.locale == "zh_CN" else DEMO_DATABASE.replace(
            "demo.sqlite3", f"demo-{args.locale}.sqlite3")
        settings = settings.model_copy(update={"database_url": url})
    await run_demo(settings, host=args.host, port=args.port, fresh=args.fresh,
                   locale=args.locale)
    return 0


async def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sandbox import SandboxConfig, SandboxServer, serve_forever

    # A sandbox on a developer's machine posts webhooks to a local bot over plain http.
    config = SandboxConfig(webhook_loopback_http=True)

    def ready(server: SandboxServer) -> None:
        print(f"sandbox: {server.url}/ (bot token {config.token})", flush=True)

    await serve_forever(config, args.host, args.port, on_ready=ready)
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import migrate

    await migrate.upgrade(settings.database_url, args.revision)
    print(f"database upgraded to {args.revision}")
    return 0


async def cmd_db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import migrate

    await migrate.downgrade(settings.database_url, args.revision)
    print(f"database downgraded to {args.revision}")
    return 0


async def cmd_org_tree(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.services.org import units as org

    db = Database.from_url(settings.database_url)
    try:
        async with db.transaction() as session:
            rows = await org.tree(session)
    finally:
        await db.dispose()
    if not rows:
        print("no units yet: import a roster first")
    for unit, members, linked in rows:
        indent = "  " * (unit.depth - 1)
        print(f"{indent}{unit.name}  (id {unit.id}; members {members}, linked {linked})")
    return 0


def parse_instant(text: str) -> datetime:
    """ISO 8601 with a zone, or naive meaning UTC (`2026-11-30T07:30+08:00`)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"--at: not an ISO 8601 time: {text!r} "
                       "(e.g. 2026-11-30T07:30+08:00; without a zone it is UTC)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import Database
    from bot.runtime.tick import run_tick

    now = parse_instant(args.at) if args.at is not None else datetime.now(UTC)
    db = Database.from_url(settings.database_url)
    try:
        async with db.transaction() as session:
            result = await run_tick(session, now=now, default_timezone=settings.default_timezone,
                                    default_locale=settings.default_locale,
                                    alert_escalate=timedelta(
                                        minutes=settings.alert_escalate_minutes),
                                    admin_ids=settings.admin_telegram_ids)
    finally:
        await db.dispose()
    if result.skipped:
        print(f"tick at {now.isoformat()}: another instance is running the tick; nothing done")
        return 0
    for e in result.entries:
        slot = f" {e.slot.strftime('%H:%M')}" if e.slot else ""
        print(f"{e.kind}{slot} for {e.report_date.isoformat()}: unit {e.unit_id}: {e.count}")
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(result.counts.items()))
    print(f"tick at {now.isoformat()}: queued {summary or 'nothing'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selfreport", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    add("run", cmd_run, "run the bot (long polling, or a webhook when WEBHOOK_URL is set)")
    demo = add("demo", cmd_demo, "run the sandbox, a demo organisation and the bot, offline")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    demo.add_argument("--locale", choices=("zh_CN", "en"), default="zh_CN",
                      help="language of the demo organisation and its users (default zh_CN)")
    sandbox = add("sandbox", cmd_sandbox, "run the local Bot API sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION")
    up = add("upgrade", cmd_db_upgrade, "migrate the database to the newest schema", db)
    up.add_argument("revision", nargs="?", default="head")
    down = add("downgrade", cmd_db_downgrade, "migrate the database back to REVISION", db)
    down.add_argument("revision")

    org = sub.add_parser("org", help="the organisation").add_subparsers(
        dest="org_command", required=True, metavar="ACTION")
    add("tree", cmd_org_tree, "print the unit tree with member and linked counts", org)
    from bot.cli.org import add_org_commands  # import, invite, holiday, schedule

    add_org_commands(org, add)
    from bot.cli.admin import add_admin_commands  # org admin, org role, audit, purge

    add_admin_commands(sub, org, add)

    tick = add("tick", cmd_tick, "queue the prompts, reminders and digests due at an instant "
               "(as the running bot does every minute); the running bot sends them")
    tick.add_argument("--at", metavar="ISO-TIME",
                      help="the instant, e.g. 2026-11-30T07:30+08:00 (naive = UTC; default now)")
    from bot.cli.export import add_export_command  # export

    add_export_command(sub, add)
    from bot.cli.faq import add_faq_commands  # faq check, faq eval

    add_faq_commands(sub, add)
    from bot.cli.duty import add_duty_commands  # duty import

    add_duty_commands(sub, add)
    return parser


def _missing_table(exc: DBAPIError) -> bool:
    """SQLite's "no such table", PostgreSQL's undefined table (42P01) or column (42703)."""
    text = str(exc.orig)
    return ("no such table" in text or "no such column" in text
            or getattr(exc.orig, "sqlstate", None) in ("42P01", "42703")
            or "UndefinedTable" in type(exc.orig).__name__)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings, verbose=args.verbose)
        return asyncio.run(args.handler(args, settings))
    except (ConfigError, CliError) as exc:
        print(f"selfreport: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        if not _missing_table(exc):
            raise
        print("selfreport: the database at DATABASE_URL has no schema yet (or an old one): "
              "run `selfreport db upgrade` first", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
