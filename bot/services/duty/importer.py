"""Importing a read duty roster file into shifts: the same rules as the member roster's import
(bad rows listed, nothing written unless skip_bad, idempotent), within the importer's scope."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Shift, Unit
from bot.services.duty.file import DutyErrorCode, DutyParseResult, DutyRow, DutyRowError
from bot.services.org import audit
from bot.services.org.permissions import Actor, in_subtree
from bot.services.roster.apply import BATCH


@dataclass
class DutyImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[DutyRowError] = field(default_factory=list)
    dry_run: bool = False
    stopped: bool = False  # bad rows and no skip_bad: nothing was written


async def _unit_by_path(session: AsyncSession, parts: Sequence[str],
                        cache: dict[tuple[str, ...], Unit | None]) -> Unit | None:
    key = tuple(parts)
    if key not in cache:
        parent: Unit | None = None
        for name in parts:
            parent = await session.scalar(select(Unit).where(
                Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id,
                Unit.name == name, Unit.active))
            if parent is None:
                break
        cache[key] = parent
    return cache[key]


async def import_duty(session: AsyncSession, parsed: DutyParseResult, *, scope: Actor | None,
                      now: datetime, dry_run: bool = False, skip_bad: bool = False,
                      actor: str = "cli", source: str = "") -> DutyImportSummary:
    """Shifts from a read file. `scope` None: the operator (everything). A row naming an
    unknown unit or phone, a person of another unit, or a unit outside the scope is bad; with
    any bad row nothing is written unless `skip_bad`. Importing the same file twice adds
    nothing (a shift is its unit, date, start, post and person)."""
    summary = DutyImportSummary(errors=list(parsed.errors), dry_run=dry_run)
    units: dict[tuple[str, ...], Unit | None] = {}
    planned: list[tuple[Unit, Member, DutyRow]] = []
    for index, row in enumerate(parsed.rows, start=1):
        if index % BATCH == 0:
            await asyncio.sleep(0)  # let other chats in (SQLite runs on the event loop)
        unit = await _unit_by_path(session, row.unit_path, units)
        if unit is None:
            summary.errors.append(DutyRowError(row.line, None, DutyErrorCode.UNKNOWN_UNIT,
                                               {"unit": "/".join(row.unit_path)}))
            continue
        if scope is not None and not scope.covers(unit):
            summary.errors.append(DutyRowError(row.line, None, DutyErrorCode.OUTSIDE_SCOPE,
                                               {"unit": "/".join(row.unit_path)}))
            continue
        member = await session.scalar(select(Member).where(Member.phone == row.phone,
                                                           Member.active))
        if member is None:
            summary.errors.append(DutyRowError(row.line, None, DutyErrorCode.UNKNOWN_PHONE,
                                               {"phone": row.phone}))
            continue
        member_unit = await session.get(Unit, member.unit_id)
        if member_unit is None or not in_subtree(member_unit.path, unit.path):
            summary.errors.append(DutyRowError(row.line, None, DutyErrorCode.OTHER_UNIT,
                                               {"phone": row.phone}))
            continue
        planned.append((unit, member, row))
    summary.errors.sort(key=lambda e: e.line)
    if summary.errors and not skip_bad:
        summary.stopped = True
        return summary
    for index, (unit, member, row) in enumerate(planned, start=1):
        if index % BATCH == 0:
            await asyncio.sleep(0)
        existing = await session.scalar(select(Shift).where(
            Shift.unit_id == unit.id, Shift.day == row.day, Shift.start == row.start,
            Shift.post == row.post, Shift.member_id == member.id))
        if existing is None:
            summary.added += 1
            if not dry_run:
                session.add(Shift(unit_id=unit.id, day=row.day, start=row.start, end=row.end,
                                  post=row.post, member_id=member.id, created_at=now))
                await session.flush()
        elif existing.end != row.end or existing.cancelled:
            summary.updated += 1
            if not dry_run:
                existing.end, existing.cancelled = row.end, False
        else:
            summary.unchanged += 1
    if not dry_run:
        await audit.record(session, actor=actor, action="duty_import", now=now,
                           actor_member_id=scope.member_id if scope else None,
                           target=source[:128], details={
                               "added": summary.added, "updated": summary.updated,
                               "skipped": len(summary.errors)})
    return summary
