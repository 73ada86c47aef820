"""What an alert says, read from the report: the people and their health, the member's own
words, how to reach the member, and — for an update — exactly what changed since the chain
was last told.

What the chain was last told is the report as it stood at `Alert.revision`: the amendment
after it kept that content in its ReportRevision (bot.services.reports.store), so no copy of
the alert's text is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Alert,
    HouseholdReport,
    Member,
    Report,
    ReportRevision,
    ReportStatus,
    Unit,
)
from bot.services.org.units import unit_names
from bot.services.reports.schedule import schedule_for

FLAGS = ("contact_case", "travel", "isolation")


@dataclass(frozen=True)
class Person:
    relation: str | None  # None: the member themself
    name: str
    temperature: Decimal | None
    symptoms: tuple[str, ...]
    note: str = ""  # as the member wrote it

    @property
    def unwell(self) -> bool:
        return self.temperature is not None or bool(self.symptoms)


@dataclass(frozen=True)
class PersonChange:
    """How one person's answers differ from what the chain was last told."""

    relation: str | None
    name: str
    temperature_before: Decimal | None
    temperature_after: Decimal | None
    symptoms_gone: tuple[str, ...]
    symptoms_new: tuple[str, ...]
    note_after: str | None  # the new note; None when the note did not change

    @property
    def temperature_changed(self) -> bool:
        return self.temperature_before != self.temperature_after


@dataclass(frozen=True)
class Changes:
    people: tuple[PersonChange, ...]
    flags: tuple[tuple[str, bool], ...]  # (flag, now set)


@dataclass(frozen=True)
class AlertView:
    """What an alert says; rendered in each recipient's language by bot.render.alerts."""

    alert_id: int
    report_id: int
    member_name: str
    unit_names: tuple[str, ...]
    report_date: date
    abnormal: bool
    persons: tuple[Person, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    reported_at: datetime
    timezone: str
    entered_by: str | None
    level: int
    handled_by: str | None = None
    handled_at: datetime | None = None
    # How to reach the member: their Telegram id (a mention link) and phone (E.164).
    member_user_id: int | None = None
    member_phone: str | None = None
    changes: Changes | None = None  # an update: what changed since the chain was last told

    def fingerprint(self) -> str:
        data = [self.abnormal, self.contact_case, self.travel, self.isolation,
                [[p.relation, p.name, str(p.temperature), list(p.symptoms), p.note]
                 for p in self.persons]]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _people_of(snapshot: Mapping[str, Any], member_name: str) -> list[Person]:
    """Everyone in a report snapshot (store._content's shape), the member first."""
    people = [Person(None, member_name, _decimal(snapshot.get("temperature")),
                     tuple(snapshot.get("symptoms") or ()), snapshot.get("note") or "")]
    people += [Person(h.get("relation") or "", h.get("name") or "",
                      _decimal(h.get("temperature")), tuple(h.get("symptoms") or ()),
                      h.get("note") or "") for h in snapshot.get("household") or ()]
    return people


def _key(person: Person) -> tuple[str | None, str]:
    return person.relation, person.name


def changes_between(before: Sequence[Person], after: Sequence[Person],
                    flags_before: Mapping[str, bool], flags_after: Mapping[str, bool]) -> Changes:
    """Per person (matched by relation and name): temperature, symptoms gone and new, a new
    note; and the flags turned on or off. A person only in `after` counts as well before."""
    old = {_key(p): p for p in before}
    people = []
    for now in after:
        was = old.get(_key(now), Person(now.relation, now.name, None, ()))
        change = PersonChange(
            now.relation, now.name, was.temperature, now.temperature,
            tuple(s for s in was.symptoms if s not in now.symptoms),
            tuple(s for s in now.symptoms if s not in was.symptoms),
            now.note if now.note != was.note else None)
        if change.temperature_changed or change.symptoms_gone or change.symptoms_new or (
                change.note_after is not None):
            people.append(change)
    flags = tuple((f, bool(flags_after.get(f))) for f in FLAGS
                  if bool(flags_before.get(f)) != bool(flags_after.get(f)))
    return Changes(tuple(people), flags)


async def _last_told(session: AsyncSession, alert: Alert, report: Report) -> dict[str, Any] | None:
    """The report as the chain last saw it: kept by the amendment after `alert.revision`."""
    if alert.revision >= report.revision:
        return None
    row = await session.scalar(select(ReportRevision.previous).where(
        ReportRevision.report_id == report.id, ReportRevision.revision == alert.revision + 1))
    return dict(row) if row is not None else None


async def view_of(session: AsyncSession, alert: Alert, report: Report,
                  default_timezone: str, *, with_changes: bool = False) -> AlertView:
    """The alert's view of the report; `with_changes` (before `alert.revision` moves on):
    what changed since the revision the chain was last told about."""
    member = await session.get(Member, report.member_id)
    unit = await session.get(Unit, report.unit_id)
    assert member is not None and unit is not None
    household = (await session.scalars(
        select(HouseholdReport).where(HouseholdReport.report_id == report.id)
        .order_by(HouseholdReport.id))).all()
    everyone = [Person(None, member.name, report.temperature, tuple(report.symptoms or ()),
                       report.note or "")]
    everyone += [Person(h.relation, h.name, h.temperature, tuple(h.symptoms or ()), h.note)
                 for h in household]
    # The member always; of the household, whoever is unwell or has a note.
    persons = everyone[:1] + [p for p in everyone[1:] if p.unwell or p.note]
    changes = None
    if with_changes and (told := await _last_told(session, alert, report)) is not None:
        flags_now = {"contact_case": report.contact_case, "travel": report.travel,
                     "isolation": report.isolation}
        changes = changes_between(_people_of(told, member.name), everyone, told, flags_now)
    entered_by = handled_by = None
    if report.entered_by is not None:
        leader = await session.get(Member, report.entered_by)
        entered_by = leader.name if leader else None
    if alert.handled_by is not None:
        handler = await session.get(Member, alert.handled_by)
        handled_by = handler.name if handler else None
    schedule = await schedule_for(session, unit, default_timezone)
    return AlertView(
        alert_id=alert.id, report_id=report.id, member_name=member.name,
        unit_names=tuple(await unit_names(session, unit)), report_date=report.report_date,
        abnormal=report.status is ReportStatus.ABNORMAL, persons=tuple(persons),
        contact_case=report.contact_case, travel=report.travel, isolation=report.isolation,
        reported_at=report.updated_at, timezone=schedule.timezone, entered_by=entered_by,
        level=alert.level, handled_by=handled_by, handled_at=alert.handled_at,
        member_user_id=member.telegram_user_id, member_phone=member.phone, changes=changes)
