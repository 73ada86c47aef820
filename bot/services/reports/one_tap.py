"""The morning prompt's "all well" button, in a few prebuilt Core statements.

Every member taps it every morning: it is the update the bot handles most. Through the ORM
its transaction was seven statements, each paying the ORM's per-statement work (about three
times a prebuilt Core statement's, benchmarks/README.md). Here it is: the member with their
unit's schedule, their household and whether they have a report form open (one statement;
one more for the ancestors of a unit deeper in the tree), the report inserted with ON
CONFLICT DO NOTHING (which also says whether the day was reported already), its household
rows, and, when one is open, the end of the report form.

Whatever is not the plain case — no linked member, a stale day, a report already stored —
returns None having written nothing, and the caller takes the general path
(`report_choice.choose`), which handles it in full. The report is built by the same
function as the general path's (`reports.new_report`), so the two store the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models import (
    Draft,
    HouseholdEntry,
    HouseholdReport,
    Member,
    OutboxMessage,
    OutboxStatus,
    Report,
    Unit,
)
from bot.services.members.family import Entry
from bot.services.reports import store as reports
from bot.services.reports.form import REPORT_DRAFT
from bot.services.reports.prompts import prompt_key, reminder_key
from bot.services.reports.schedule import Schedule, ancestor_ids, resolve
from bot.services.reports.store import SaveResult

_members, _units, _household, _reports, _household_reports, _drafts, _outbox = (
    cast(Table, model.__table__)
    for model in (Member, Unit, HouseholdEntry, Report, HouseholdReport, Draft, OutboxMessage))
_SCHEDULE = (_units.c.path, _units.c.timezone, _units.c.prompt_time, _units.c.reminder_times,
             _units.c.deadline_time, _units.c.digest_time, _units.c.skip_weekends)

# The member, their unit's schedule, whether a report form is open, and their household, a
# row per household entry (one row with a NULL entry for none).
_MEMBER = (select(_members.c.id, _members.c.unit_id, _members.c.name, *_SCHEDULE,
                  _drafts.c.telegram_user_id.label("form_user"),
                  _household.c.id.label("entry_id"), _household.c.relation,
                  _household.c.name.label("entry_name"))
           .join_from(_members, _units, _units.c.id == _members.c.unit_id)
           .outerjoin(_drafts, (_drafts.c.telegram_user_id == _members.c.telegram_user_id)
                      & (_drafts.c.kind == REPORT_DRAFT))
           .outerjoin(_household, (_household.c.member_id == _members.c.id)
                      & _household.c.active)
           .where(_members.c.telegram_user_id == bindparam("user"), _members.c.active)
           .order_by(_household.c.position, _household.c.id))
_ANCESTORS = select(_units.c.id, *_SCHEDULE).where(
    _units.c.id.in_(bindparam("ids", expanding=True)))
_HOUSEHOLD_ROWS = insert(_household_reports)
# The day's prompt and reminders the member was sent (by dedup key: the unique index).
_SENT_PROMPTS = select(_outbox.c.telegram_message_id).where(
    _outbox.c.dedup_key.in_(bindparam("keys", expanding=True)),
    _outbox.c.status == OutboxStatus.SENT.value, _outbox.c.telegram_message_id.is_not(None))
_DROP_FORM = delete(_drafts).where(_drafts.c.telegram_user_id == bindparam("user"),
                                   _drafts.c.kind == REPORT_DRAFT)
_INSERTS: dict[str, Insert] = {
    name: (dialect.insert(_reports)
           .on_conflict_do_nothing(index_elements=[_reports.c.member_id,
                                                   _reports.c.report_date])
           .returning(_reports.c.id))
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}
_REPORT_COLUMNS = [c.key for c in _reports.columns if c.key != "id"]
_HOUSEHOLD_COLUMNS = [c.key for c in _household_reports.columns if c.key not in ("id",
                                                                                  "report_id")]


@dataclass(frozen=True)
class AllWell:
    """The report stored, with the day and schedule the confirmation shows it in."""

    day: date
    schedule: Schedule
    saved: SaveResult
    # Message ids of the day's prompt and reminders sent to the member: those not tapped
    # are edited to say the day is reported (bot.services.reports.answered).
    prompts_sent: tuple[int, ...] = ()


async def report_all_well(connection: AsyncConnection, *, telegram_user_id: int,
                          button_day: date, now: datetime,
                          default_timezone: str) -> AllWell | None:
    """Store "everyone well" for the button's day, in the transaction of `connection`
    (Database.core); None (nothing written) when that is not the plain case and
    `report_choice.choose` must decide."""
    return await connection.run_sync(_all_well, telegram_user_id, button_day, now,
                                     default_timezone)


def _all_well(db: Connection, telegram_user_id: int, button_day: date, now: datetime,
              default_timezone: str) -> AllWell | None:
    # Synchronous, in one greenlet: a statement is a plain call, not an await each.
    rows = db.execute(_MEMBER, {"user": telegram_user_id}).all()
    if not rows:
        return None
    member = rows[0]
    household = [Entry(r.entry_id, r.relation, r.entry_name) for r in rows
                 if r.entry_id is not None]
    chain: list[Any] = [member]
    ancestors = ancestor_ids(member)
    if ancestors:
        found = {u.id: u for u in db.execute(_ANCESTORS, {"ids": ancestors})}
        chain = [found[i] for i in ancestors if i in found] + chain
    schedule = resolve(chain, default_timezone)
    day = reports.report_day_for(schedule, button_day, now)
    if day is None:
        return None
    report = reports.new_report(member.id, member.unit_id, day,
                                reports.well_entry(member.name, household),
                                {e.id for e in household}, now, schedule)
    report_id = db.execute(_INSERTS[db.dialect.name],
                           {c: getattr(report, c) for c in _REPORT_COLUMNS}).scalar()
    if report_id is None:  # reported already (another tap, another instance)
        return None
    report.id = report_id
    if report.household:
        db.execute(_HOUSEHOLD_ROWS, [
            {"report_id": report_id, **{c: getattr(h, c) for c in _HOUSEHOLD_COLUMNS}}
            for h in report.household])
    if member.form_user is not None:  # a one-tap answer ends the day's open form
        db.execute(_DROP_FORM, {"user": telegram_user_id})
    keys = [prompt_key(day, member.id), *(reminder_key(day, slot, member.id)
                                          for slot in schedule.reminders)]
    sent = tuple(int(m) for m in db.execute(_SENT_PROMPTS, {"keys": keys}).scalars())
    return AllWell(day, schedule, SaveResult(report, created=True, changed=True,
                                             previous_status=None,
                                             timezone=schedule.timezone), sent)
