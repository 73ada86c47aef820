"""`selfreport org admin add|remove PHONE`, `org role PHONE ROLE`, `audit`, `purge`.

Output in the operator's language, as `selfreport org` (bot.cli.org.cli_locale).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from bot.cli.common import CliError
from bot.config import Settings
from bot.db.models import Role
from bot.i18n import _


async def cmd_org_role(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.common import locale_of
    from bot.db import Database
    from bot.render.onboarding import role_label
    from bot.services.org.admin import RoleStatus, set_role

    action = getattr(args, "admin_command", None)
    role = {"add": Role.ADMIN, "remove": Role.MEMBER}.get(action or "") or Role(args.role)
    with locale_of(settings):
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                change = await set_role(session, args.phone, role, now=datetime.now(UTC),
                                        actor="cli",
                                        only_from=Role.ADMIN if action == "remove" else None)
        finally:
            await db.dispose()
        if change.status is RoleStatus.NOT_ADMIN:
            raise CliError(_("{name} is not an admin (role: {role})").format(
                name=change.name, role=role_label(change.old)))
        if change.status is RoleStatus.BAD_PHONE:
            raise CliError(_("“{phone}” is not a phone number").format(phone=args.phone))
        if change.status is RoleStatus.NOT_FOUND:
            raise CliError(_("nobody on the roster has the phone number {phone}").format(
                phone=args.phone))
        if change.status is RoleStatus.UNCHANGED:
            print(_("{name} is already {role}; nothing changed.").format(
                name=change.name, role=role_label(role)))
        else:
            print(_("{name}: {old} → {new}").format(name=change.name,
                                                   old=role_label(change.old),
                                                   new=role_label(change.new)))
        return 0


def _since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text.strip()), time())
        except ValueError:
            raise CliError(_("--since: “{text}” is not a date: use YYYY-MM-DD").format(
                text=text)) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from bot.cli.common import locale_of
    from bot.db import Database
    from bot.db.models import AuditEntry

    with locale_of(settings):
        if not 1 <= args.limit <= 100_000:
            raise CliError(_("--limit must be between 1 and {limit}").format(limit=100_000))
        stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if args.since:
            stmt = stmt.where(AuditEntry.at >= _since(args.since))
        if args.actor:
            stmt = stmt.where(AuditEntry.actor == args.actor)
        if args.action:
            stmt = stmt.where(AuditEntry.action == args.action)
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                rows = list((await session.scalars(stmt.limit(args.limit))).all())
        finally:
            await db.dispose()
        if not rows:
            print(_("No audit entries."))
        for row in reversed(rows):  # oldest first, like a log
            details = json.dumps(row.details, ensure_ascii=False, sort_keys=True) \
                if row.details else ""
            print("  ".join(p for p in (row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
                                        row.actor, row.action, row.target, details) if p))
        return 0


async def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.common import locale_of
    from bot.db import Database
    from bot.i18n import fmt_date
    from bot.services.purge import purge

    with locale_of(settings):
        db = Database.from_url(settings.database_url)
        try:
            async with db.transaction() as session:
                result = await purge(session, now=datetime.now(UTC),
                                     retention_days=settings.retention_days,
                                     timezone=settings.default_timezone, dry_run=args.dry_run)
        finally:
            await db.dispose()
        text = _("Would delete") if result.dry_run else _("Deleted")
        print(_("{verb}: {reports} reports from before {cutoff} (with {household} household "
                "rows, {revisions} earlier versions, {alerts} alerts) and {outbox} sent "
                "messages older than {days} days.").format(
            verb=text, reports=result.reports, cutoff=fmt_date(result.cutoff),
            household=result.household_reports, revisions=result.revisions,
            alerts=result.alerts, outbox=result.outbox, days=settings.retention_days))
        print(_("{verb}: {questions} questions to people older than {days} days, "
                "{memberships} stays in a unit that ended before {cutoff} and {drafts} "
                "unfinished forms.").format(
            verb=text, questions=result.questions, memberships=result.memberships,
            cutoff=fmt_date(result.cutoff), drafts=result.drafts,
            days=settings.retention_days))
        return 0


def add_admin_commands(sub: Any, org: Any, add: Callable[..., Any]) -> None:
    """Register `org admin`, `org role`, `audit` and `purge`."""
    adm = org.add_parser("admin", help="make a member an admin, or stop that",
                         description="make a member an admin, or stop that").add_subparsers(
        dest="admin_command", required=True, metavar="ACTION")
    for action, help_text in (("add", "make the member with this phone an admin"),
                              ("remove", "make an admin a plain member again")):
        p = add(action, cmd_org_role, help_text, adm)
        p.add_argument("phone", metavar="PHONE")
    role = add("role", cmd_org_role, "set a member's role (audited)", org)
    role.add_argument("phone", metavar="PHONE")
    role.add_argument("role", metavar="ROLE", choices=[r.value for r in Role])

    audit = add("audit", cmd_audit, "print the audit log (oldest first)")
    audit.add_argument("--since", metavar="DATE", help="YYYY-MM-DD or an ISO time (UTC)")
    audit.add_argument("--actor", help="e.g. cli, tick or tg:<telegram id>")
    audit.add_argument("--action", help="e.g. roster_import, role_change, member_view")
    audit.add_argument("--limit", type=int, default=100, help="the newest N (default 100)")

    purge = add("purge", cmd_purge, "delete reports older than RETENTION_DAYS and old sent "
                "messages, and say how many")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
