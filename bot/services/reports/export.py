"""Exports of the reports of a date range: one row per person per day (members and household).

Leaders export their own subtree, admins the whole organisation (Actor from
services.members.leaves).
Two queries whatever the size: the members' rows and the household rows, joined to units by
materialised path. Every export is audited (what range, how many rows — never the content).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import HouseholdReport, Member, Report, ReportStatus, Unit
from bot.services.org import audit
from bot.services.org.permissions import Actor, in_subtree, subtree_clause
from bot.services.reports.temperature import is_fever

MAX_DAYS = 92
DEFAULT_DAYS = 7
# Reports in one file sent through the chat; bigger exports are the CLI's (`selfreport export`).
MAX_CHAT_REPORTS = 50_000
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class RangeError(enum.StrEnum):
    FORMAT = "format"  # not one or two dates
    BAD_DATE = "bad_date"  # looks like a date, is not one
    REVERSED = "reversed"  # end before start
    TOO_LONG = "too_long"  # more than MAX_DAYS days


class InvalidRange(ValueError):
    def __init__(self, code: RangeError) -> None:
        super().__init__(code.value)
        self.code = code


def _parse_date(token: str) -> date:
    match = _DATE.fullmatch(token)
    if match is None:
        raise InvalidRange(RangeError.FORMAT)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidRange(RangeError.BAD_DATE) from None


def parse_range(text: str, today: date) -> tuple[date, date]:
    """`` → the last DEFAULT_DAYS days up to today; `FROM` → FROM..today (or FROM alone if
    later); `FROM TO` → that range, inclusive, at most MAX_DAYS days."""
    if len(text) > 64:
        raise InvalidRange(RangeError.FORMAT)
    tokens = unicodedata.normalize("NFKC", text).replace("~", " ").split()
    if not tokens:
        return today - timedelta(days=DEFAULT_DAYS - 1), today
    if len(tokens) > 2:
        raise InvalidRange(RangeError.FORMAT)
    start = _parse_date(tokens[0])
    end = _parse_date(tokens[1]) if len(tokens) == 2 else max(start, today)
    if end < start:
        raise InvalidRange(RangeError.REVERSED)
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange(RangeError.TOO_LONG)
    return start, end


@dataclass(frozen=True)
class ExportRow:
    day: date
    unit: str  # the path of names, "Group / Company A"
    member: str
    relation: str  # "" for the member's own row
    person: str
    status: ReportStatus  # the report's; a household row says whether the person is unwell
    temperature: Decimal | None
    symptoms: tuple[str, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    note: str
    late: bool
    reported_at: datetime
    entered_by: str


async def _unit_paths(session: AsyncSession, actor: Actor) -> dict[int, str]:
    rows = (await session.execute(select(Unit.id, Unit.name, Unit.path))).all()
    names = {uid: name for uid, name, _path in rows}
    return {uid: " / ".join(names.get(int(p), "?") for p in path.strip("/").split("/") if p)
            for uid, _name, path in rows
            if actor.root_path is None or in_subtree(path, actor.root_path)}


def _reports_in(actor: Actor, start: date, end: date) -> Any:
    stmt = (select(Report.id).join(Unit, Unit.id == Report.unit_id)
            .where(Report.report_date >= start, Report.report_date <= end))
    if actor.root_path is not None:
        stmt = stmt.where(subtree_clause(Unit.path, actor.root_path))
    return stmt


async def count_reports(session: AsyncSession, actor: Actor, start: date, end: date) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(_reports_in(actor, start, end).subquery())) or 0)


async def export_rows(session: AsyncSession, actor: Actor, start: date,
                      end: date) -> list[ExportRow]:
    """The reports made in the actor's units between `start` and `end`, member rows each
    followed by their household's, by day, unit and name."""
    units = await _unit_paths(session, actor)
    leader = aliased(Member)
    base = (select(Report, Member.name, leader.name)
            .join(Member, Member.id == Report.member_id)
            .join(Unit, Unit.id == Report.unit_id)
            .outerjoin(leader, leader.id == Report.entered_by)
            .where(Report.report_date >= start, Report.report_date <= end))
    if actor.root_path is not None:
        base = base.where(subtree_clause(Unit.path, actor.root_path))
    reports = (await session.execute(base)).all()
    household: dict[int, list[HouseholdReport]] = {}
    ids = base.with_only_columns(Report.id).scalar_subquery()
    for h in await session.scalars(select(HouseholdReport).where(
            HouseholdReport.report_id.in_(ids)).order_by(HouseholdReport.id)):
        household.setdefault(h.report_id, []).append(h)
    out: list[ExportRow] = []
    for report, name, entered_by in sorted(
            reports, key=lambda r: (r[0].report_date, units.get(r[0].unit_id, ""), r[1],
                                    r[0].member_id)):
        unit = units.get(report.unit_id, "")
        common = dict(day=report.report_date, unit=unit, member=name,
                      contact_case=report.contact_case, travel=report.travel,
                      isolation=report.isolation, late=report.late,
                      reported_at=report.updated_at, entered_by=entered_by or "")
        out.append(ExportRow(relation="", person=name, status=report.status,
                             temperature=report.temperature, symptoms=tuple(report.symptoms),
                             note=report.note, **common))  # type: ignore[arg-type]
        for h in household.get(report.id, []):
            unwell = bool(h.symptoms) or (h.temperature is not None
                                          and is_fever(h.temperature))
            out.append(ExportRow(
                relation=h.relation, person=h.name,
                status=ReportStatus.ABNORMAL if unwell else ReportStatus.OK,
                temperature=h.temperature, symptoms=tuple(h.symptoms), note=h.note,
                **common))  # type: ignore[arg-type]
    return out


async def record_export(session: AsyncSession, actor: Actor, *, start: date, end: date,
                        rows: int, now: datetime) -> None:
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="export", now=now,
                       target=f"unit:{actor.root_unit_id}" if actor.root_unit_id else "org",
                       details={"from": start.isoformat(), "to": end.isoformat(),
                                "rows": rows})
