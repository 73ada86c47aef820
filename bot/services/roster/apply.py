"""Applying a parsed roster (bot.services.roster.file) to the database.

Members are matched by phone. The file is the truth for the people in it: new people are
added, changed ones updated in place, people no longer in it deactivated (never deleted, so
their reports stay), and reactivated when they come back. Members who joined by invite have
no phone and are never touched. `digest=yes` rows make each unit's reporting chain, in file
order. Applying the same file twice changes nothing.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import HouseholdEntry, Member, Role, Unit, UnitContact
from bot.services.members.history import DEFAULT_TIMEZONE, assign
from bot.services.org import audit
from bot.services.org.units import ensure_unit
from bot.services.roster.file import (
    FileProblem,
    RosterFormat,
    RosterParseResult,
    RosterRow,
    RowError,
)

logger = logging.getLogger(__name__)


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    REACTIVATED = "reactivated"
    DEACTIVATED = "deactivated"


class Field(enum.StrEnum):
    NAME = "name"
    UNIT = "unit"
    ROLE = "role"
    HOUSEHOLD = "household"
    DIGEST = "digest"


@dataclass(frozen=True)
class MemberChange:
    kind: ChangeKind
    name: str
    unit_path: tuple[str, ...]
    line: int | None = None  # None for deactivations: they have no line
    fields: tuple[Field, ...] = ()


@dataclass
class ImportSummary:
    format: RosterFormat | None = None
    rows: int = 0  # good rows
    added: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    units_created: int = 0
    chains_changed: int = 0
    # Missing from the good rows but kept active: a skipped bad row may have been theirs.
    kept_active: int = 0
    changes: list[MemberChange] = field(default_factory=list)
    bad_rows: list[RowError] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    dry_run: bool = False
    # Bad rows without skip_bad, or a file that is not a roster: nothing was written.
    stopped: bool = False

    @property
    def applied(self) -> bool:
        return not self.dry_run and not self.stopped

    @property
    def change_count(self) -> int:
        return (self.added + self.updated + self.reactivated + self.deactivated
                + self.units_created + self.chains_changed)


async def import_roster(
    session: AsyncSession,
    parsed: RosterParseResult,
    *,
    now: datetime,
    dry_run: bool,
    skip_bad: bool,
    actor: str,
    actor_member_id: int | None = None,
    source: str = "",
    default_timezone: str = DEFAULT_TIMEZONE,
) -> ImportSummary:
    """Apply `parsed`; on a dry run, or when bad rows stop it, compute the same summary and
    roll back to where it started (a savepoint), so nothing is written."""
    summary = ImportSummary(format=parsed.format, rows=len(parsed.rows),
                            bad_rows=list(parsed.errors), problems=list(parsed.problems),
                            dry_run=dry_run)
    if parsed.problems:
        summary.stopped = True
        return summary
    if parsed.errors and not skip_bad:
        summary.stopped = True
    if summary.stopped or dry_run:
        savepoint = await session.begin_nested()
        try:
            await _apply(session, parsed.rows, summary, now=now,
                         bad_rows_skipped=bool(parsed.errors), zone=default_timezone)
        finally:
            await savepoint.rollback()
        return summary
    await _apply(session, parsed.rows, summary, now=now, bad_rows_skipped=bool(parsed.errors),
                 zone=default_timezone)
    await audit.record(
        session, actor=actor, actor_member_id=actor_member_id, action="roster_import", now=now,
        target=source[:128],
        details={"rows": summary.rows, "bad_rows": len(summary.bad_rows),
                 "added": summary.added, "updated": summary.updated,
                 "reactivated": summary.reactivated, "deactivated": summary.deactivated,
                 "unchanged": summary.unchanged, "units_created": summary.units_created,
                 "chains_changed": summary.chains_changed})
    logger.info("roster imported: %d added, %d updated, %d reactivated, %d deactivated, "
                "%d unchanged", summary.added, summary.updated, summary.reactivated,
                summary.deactivated, summary.unchanged)
    return summary


# Rows written between two chances for other updates to run: SQLite runs on the event
# loop's thread, and a 50,000-row import in one flush held every chat for half a minute.
BATCH = 100


async def yield_to_others(session: AsyncSession) -> None:
    """Write what is pending, then let the event loop run other tasks for a moment."""
    await session.flush()
    await asyncio.sleep(0)


async def _apply(session: AsyncSession, rows: list[RosterRow], summary: ImportSummary, *,
                 now: datetime, bad_rows_skipped: bool, zone: str) -> None:
    units_before = await _count_units(session)
    units = await _units_for(session, rows, now)
    summary.units_created = await _count_units(session) - units_before
    names = await _unit_paths(session)

    members = {m.phone: m for m in await session.scalars(
        select(Member).where(Member.phone.is_not(None)))}
    households: dict[int, list[HouseholdEntry]] = defaultdict(list)
    for entry in await session.scalars(
        select(HouseholdEntry).join(Member, Member.id == HouseholdEntry.member_id)
        .where(Member.phone.is_not(None), HouseholdEntry.active)
        .order_by(HouseholdEntry.member_id, HouseholdEntry.position, HouseholdEntry.id)
    ):
        households[entry.member_id].append(entry)
    chains: dict[int, list[int]] = defaultdict(list)
    for contact in await session.scalars(
            select(UnitContact).order_by(UnitContact.unit_id, UnitContact.position,
                                         UnitContact.id)):
        chains[contact.unit_id].append(contact.member_id)

    in_file: list[tuple[RosterRow, Member]] = []
    placed: list[tuple[Member, int | None]] = []  # joins, moves, departures: history.assign
    for index, row in enumerate(rows, start=1):
        if index % BATCH == 0:
            await yield_to_others(session)
        unit = units[row.unit_path]
        member = members.get(row.phone)
        if member is None:
            member = Member(unit_id=unit.id, name=row.name, phone=row.phone,
                            role=Role(row.role.value), active=True, created_at=now,
                            updated_at=now)
            member.household = [HouseholdEntry(relation=r, name=n, position=i, from_roster=True)
                                for i, (r, n) in enumerate(row.household)]
            session.add(member)
            placed.append((member, unit.id))
            summary.added += 1
            summary.changes.append(MemberChange(ChangeKind.ADDED, row.name, row.unit_path,
                                                row.line))
        else:
            had_digest = member.id in chains[member.unit_id]
            changed = await _update(session, member, row, unit, households[member.id], now)
            if not member.active or Field.UNIT in changed:
                placed.append((member, unit.id))
            if member.active and row.digest != had_digest:
                changed.append(Field.DIGEST)
            if not member.active:
                member.updated_at = now
                summary.reactivated += 1
                summary.changes.append(MemberChange(ChangeKind.REACTIVATED, row.name,
                                                    row.unit_path, row.line, tuple(changed)))
            elif changed:
                summary.updated += 1
                summary.changes.append(MemberChange(ChangeKind.UPDATED, row.name,
                                                    row.unit_path, row.line, tuple(changed)))
            else:
                summary.unchanged += 1
        in_file.append((row, member))
    await session.flush()  # ids for new members, before the chains name them

    listed = {member.id for _row, member in in_file}
    missing = [m for m in members.values() if m.active and m.id not in listed]
    if bad_rows_skipped:
        summary.kept_active = len(missing)
    else:
        for member in missing:
            member.updated_at = now
            placed.append((member, None))
            summary.deactivated += 1
            summary.changes.append(MemberChange(ChangeKind.DEACTIVATED, member.name,
                                                names.get(member.unit_id, ())))
    await assign(session, placed, now=now, default_timezone=zone)
    kept = {m.id for m in missing} if bad_rows_skipped else set()
    await _rebuild_chains(session, in_file, units, chains, kept, summary)
    await session.flush()


async def _update(session: AsyncSession, member: Member, row: RosterRow, unit: Unit,
                  entries: list[HouseholdEntry], now: datetime) -> list[Field]:
    changed: list[Field] = []
    if member.name != row.name:
        member.name = row.name
        changed.append(Field.NAME)
    if member.unit_id != unit.id:  # moved by the caller (history.assign)
        changed.append(Field.UNIT)
    if member.role != Role(row.role.value):
        member.role = Role(row.role.value)
        changed.append(Field.ROLE)
    # An empty household cell leaves the household alone: rosters often leave it blank, and
    # the member may have listed their household with /family since.
    if row.household and await _merge_household(session, member, entries, row.household):
        changed.append(Field.HOUSEHOLD)
    if changed:
        member.updated_at = now
    return changed


async def _merge_household(session: AsyncSession, member: Member,
                           entries: list[HouseholdEntry],
                           wanted: tuple[tuple[str, str], ...]) -> bool:
    """The file's household for this member, merged with what the member added in the chat:
    entries the file lists are kept (their ids, so past reports stay linked) or added, in
    the file's order; entries an earlier file gave and this one no longer lists are deleted
    (reports keep a copy of relation and name); entries the member added with /family stay,
    after the file's. Whether anything changed."""
    unused = list(entries)
    changed = False
    for position, (relation, name) in enumerate(wanted):
        match = next((e for e in unused if (e.relation, e.name) == (relation, name)), None)
        if match is not None:
            unused.remove(match)
            changed |= match.position != position
            match.position, match.from_roster = position, True
        else:
            session.add(HouseholdEntry(member_id=member.id, relation=relation, name=name,
                                       position=position, from_roster=True))
            changed = True
    for position, entry in enumerate((e for e in unused if not e.from_roster),
                                     start=len(wanted)):
        changed |= entry.position != position
        entry.position = position
    for entry in (e for e in unused if e.from_roster):
        await session.delete(entry)
        changed = True
    return changed


async def _rebuild_chains(session: AsyncSession, in_file: list[tuple[RosterRow, Member]],
                          units: dict[tuple[str, ...], Unit], chains: dict[int, list[int]],
                          kept: set[int], summary: ImportSummary) -> None:
    wanted: dict[int, list[int]] = defaultdict(list)
    for row, member in in_file:
        if row.digest:
            wanted[units[row.unit_path].id].append(member.id)
    for unit_id, old in chains.items():
        # Chain links of members kept active (their row was bad and skipped) stay, after.
        wanted[unit_id] += [m for m in old if m in kept and m not in wanted[unit_id]]
    for unit_id in set(wanted) | set(chains):
        new = wanted.get(unit_id, [])
        if new == chains.get(unit_id, []):
            continue
        summary.chains_changed += 1
        # Core DELETE first: the ORM would insert the new links before deleting the old ones
        # and trip the (unit, member) unique constraint.
        await session.execute(delete(UnitContact).where(UnitContact.unit_id == unit_id))
        session.add_all(UnitContact(unit_id=unit_id, member_id=member_id, position=position)
                        for position, member_id in enumerate(new))


async def _units_for(session: AsyncSession, rows: list[RosterRow],
                     now: datetime) -> dict[tuple[str, ...], Unit]:
    units: dict[tuple[str, ...], Unit] = {}
    for row in rows:
        if row.unit_path not in units:
            await asyncio.sleep(0)  # a query or two per new unit: let other chats in between
            unit = await ensure_unit(session, row.unit_path, now=now)
            if not unit.active:
                unit.active = True
            units[row.unit_path] = unit
    return units


async def _count_units(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Unit)) or 0)


async def _unit_paths(session: AsyncSession) -> dict[int, tuple[str, ...]]:
    """Every unit's names from the root, from one query."""
    rows = (await session.execute(select(Unit.id, Unit.name, Unit.path))).all()
    name_of = {row.id: row.name for row in rows}
    return {row.id: tuple(name_of[int(p)] for p in row.path.strip("/").split("/")
                          if p and int(p) in name_of) for row in rows}
