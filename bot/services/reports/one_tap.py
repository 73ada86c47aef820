"""The morning prompt's "all well" button, in a few prebuilt statements on the driver.

Every member taps it every morning: it is the update the bot handles most. Through the ORM
its transaction was seven statements, each paying the ORM's per-statement work (about three
times a prebuilt Core statement's, benchmarks/README.md), and through SQLAlchemy's asyncio
layer a prebuilt statement still cost ten times what asyncpg spends on it (bot.db.direct).
Here it is two statements on PostgreSQL, each committing on its own: the member with their
unit's schedule and its ancestors' (the path read with the account in group -1 says which),
their household and whether they have a report form open; then one data-modifying WITH that
inserts the report with ON CONFLICT DO NOTHING (which also says whether the day was reported
already), its household rows and, when one is open, ends the report form, all or nothing.
On SQLite the same read and the writes one by one, in one `BEGIN IMMEDIATE` transaction.

Whatever is not the plain case — no linked member, a stale day, a report already stored —
returns None having written nothing, and the caller takes the general path
(`report_choice.choose`), which handles it in full. The report is built by the same
function as the general path's (`reports.new_report`), so the two store the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.direct import Direct, DirectConnection
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
from bot.services.reports.schedule import Schedule, resolve
from bot.services.reports.store import SaveResult

_members, _units, _household, _reports, _household_reports, _drafts, _outbox = (
    cast(Table, model.__table__)
    for model in (Member, Unit, HouseholdEntry, Report, HouseholdReport, Draft, OutboxMessage))
_SCHEDULE_FIELDS = ("timezone", "prompt_time", "reminder_times", "deadline_time",
                    "digest_time", "skip_weekends")
_REPORT_COLUMNS = [c.key for c in _reports.columns if c.key != "id"]
_HOUSEHOLD_COLUMNS = [c.key for c in _household_reports.columns if c.key not in ("id",
                                                                                  "report_id")]


@cache
def _member(depth: int) -> Direct:
    """The member, their unit's schedule and its `depth` ancestors' (`a0`… by id, root
    first, each row repeating them), whether a report form is open, and their household,
    a row per household entry (one row with a NULL entry for none)."""
    ancestors = [_units.alias(f"a{i}") for i in range(depth)]
    joined = (_members.join(_units, _units.c.id == _members.c.unit_id)
              .outerjoin(_drafts, (_drafts.c.telegram_user_id == _members.c.telegram_user_id)
                         & (_drafts.c.kind == REPORT_DRAFT))
              .outerjoin(_household, (_household.c.member_id == _members.c.id)
                         & _household.c.active))
    for i, unit in enumerate(ancestors):
        joined = joined.outerjoin(unit, unit.c.id == bindparam(f"a{i}"))
    return Direct(
        select(_members.c.id, _members.c.unit_id, _members.c.name, _units.c.path,
               *(_units.c[f] for f in _SCHEDULE_FIELDS),
               _drafts.c.telegram_user_id.label("form_user"),
               _household.c.id.label("entry_id"), _household.c.relation,
               _household.c.name.label("entry_name"),
               *(unit.c[f].label(f"a{i}_{f}") for i, unit in enumerate(ancestors)
                 for f in ("id", *_SCHEDULE_FIELDS)))
        .select_from(joined)
        .where(_members.c.telegram_user_id == bindparam("user"), _members.c.active)
        .order_by(_household.c.position, _household.c.id))


def _typed(table: Table, key: str, name: str | None = None) -> Any:
    return bindparam(name or key, type_=table.c[key].type)


_REPORT_VALUES = {c: _typed(_reports, c) for c in _REPORT_COLUMNS}
_ON_CONFLICT = [_reports.c.member_id, _reports.c.report_date]
_DROP_FORM = delete(_drafts).where(_drafts.c.telegram_user_id == bindparam("user"),
                                   _drafts.c.kind == REPORT_DRAFT)
# SQLite: one statement at a time, in the block's transaction.
_INSERT_SQLITE = Direct(sqlite.insert(_reports).values(_REPORT_VALUES)
                        .on_conflict_do_nothing(index_elements=_ON_CONFLICT)
                        .returning(_reports.c.id))
_HOUSEHOLD_ROW = Direct(insert(_household_reports).values(
    {c: _typed(_household_reports, c) for c in ("report_id", *_HOUSEHOLD_COLUMNS)}))
_DROP_FORM_SQLITE = Direct(_DROP_FORM)


@cache
def _write_postgresql(household: int, drop_form: bool, keys: int) -> Direct:
    """The report, `household` household rows and (`drop_form`) the end of the report form
    in one statement: nothing but the report's id is written when the day is taken. With
    the report's id, the message ids of the `keys` sent prompts (`_sent_prompts`), read in
    the same round trip."""
    stored = (postgresql.insert(_reports).values(_REPORT_VALUES)
              .on_conflict_do_nothing(index_elements=_ON_CONFLICT)
              .returning(_reports.c.id).cte("stored"))
    extra: list[Any] = []
    if household:
        rows = union_all(*(select(stored.c.id, *(_typed(_household_reports, c, f"h{i}_{c}")
                                                  for c in _HOUSEHOLD_COLUMNS))
                           for i in range(household)))
        extra.append(insert(_household_reports)
                     .from_select(["report_id", *_HOUSEHOLD_COLUMNS], rows)
                     .returning(literal_column("1")).cte("household_rows"))
    if drop_form:
        extra.append(_DROP_FORM.where(exists(select(stored.c.id)))
                     .returning(_drafts.c.telegram_user_id).cte("form_ended"))
    sent = cast(Select[Any], _sent_prompts(keys).statement).subquery("sent")
    return Direct(select(stored.c.id, select(func.array_agg(sent.c.telegram_message_id))
                         .scalar_subquery().label("sent")).add_cte(*extra))


@cache
def _sent_prompts(keys: int) -> Direct:
    """The day's prompt and reminders the member was sent, by `keys` dedup keys (the unique
    index)."""
    return Direct(select(_outbox.c.telegram_message_id).where(
        _outbox.c.dedup_key.in_([bindparam(f"k{i}", type_=_outbox.c.dedup_key.type)
                                 for i in range(keys)]),
        _outbox.c.status == OutboxStatus.SENT.value,
        _outbox.c.telegram_message_id.is_not(None)))


@dataclass(frozen=True)
class AllWell:
    """The report stored, with the day and schedule the confirmation shows it in."""

    day: date
    schedule: Schedule
    saved: SaveResult
    # Message ids of the day's prompt and reminders sent to the member: those not tapped
    # are edited to say the day is reported (bot.services.reports.answered).
    prompts_sent: tuple[int, ...] = ()


async def report_all_well(connection: DirectConnection, *, telegram_user_id: int,
                          button_day: date, now: datetime, default_timezone: str,
                          unit_path: str | None = None) -> AllWell | None:
    """Store "everyone well" for the button's day on `connection` (Database.direct); None
    (nothing written) when that is not the plain case and `report_choice.choose` must
    decide. `unit_path`: the member's unit's path as group -1 read it, which names the
    ancestors to read with the member (a stale one costs a second read, nothing else)."""
    depth = len(_ancestor_ids(unit_path))
    rows = await _read(connection, telegram_user_id, unit_path, depth)
    if rows and rows[0].path != unit_path:  # moved since, or no hint: read with its path
        unit_path = rows[0].path
        depth = len(_ancestor_ids(unit_path))
        rows = await _read(connection, telegram_user_id, unit_path, depth) if depth else rows
    if not rows:
        return None
    member = rows[0]
    household = [Entry(r.entry_id, r.relation, r.entry_name) for r in rows
                 if r.entry_id is not None]
    chain: list[Any] = [_Ancestor(member, i) for i in range(depth)
                        if getattr(member, f"a{i}_id") is not None]
    schedule = resolve([*chain, member], default_timezone)
    day = reports.report_day_for(schedule, button_day, now)
    if day is None:
        return None
    report = reports.new_report(member.id, member.unit_id, day,
                                reports.well_entry(member.name, household),
                                {e.id for e in household}, now, schedule)
    values = {c: getattr(report, c) for c in _REPORT_COLUMNS}
    keys = [prompt_key(day, member.id), *(reminder_key(day, slot, member.id)
                                          for slot in schedule.reminders)]
    sent_keys = {f"k{i}": key for i, key in enumerate(keys)}
    if connection.dialect.name == "postgresql":
        for i, h in enumerate(report.household):
            values.update({f"h{i}_{c}": getattr(h, c) for c in _HOUSEHOLD_COLUMNS})
        found = await connection.first(
            _write_postgresql(len(report.household), member.form_user is not None, len(keys)),
            {**values, **sent_keys, "user": telegram_user_id})
    else:
        found = await connection.first(_INSERT_SQLITE, values)
        if found is not None:
            for h in report.household:
                await connection.execute(_HOUSEHOLD_ROW, {
                    "report_id": found.id, **{c: getattr(h, c) for c in _HOUSEHOLD_COLUMNS}})
            if member.form_user is not None:  # a one-tap answer ends the day's open form
                await connection.execute(_DROP_FORM_SQLITE, {"user": telegram_user_id})
    if found is None:  # reported already (another tap, another instance)
        return None
    report.id = found.id
    if connection.dialect.name == "postgresql":
        sent = tuple(int(m) for m in found.sent or ())
    else:
        sent = tuple(int(r.telegram_message_id)
                     for r in await connection.rows(_sent_prompts(len(keys)), sent_keys))
    return AllWell(day, schedule, SaveResult(report, created=True, changed=True,
                                             previous_status=None,
                                             timezone=schedule.timezone), sent)


async def _read(connection: DirectConnection, telegram_user_id: int, unit_path: str | None,
                depth: int) -> list[Any]:
    ids = _ancestor_ids(unit_path)
    return await connection.rows(_member(depth), {
        "user": telegram_user_id, **{f"a{i}": ids[i] for i in range(depth)}})


def _ancestor_ids(path: str | None) -> list[int]:
    """The ids of the ancestors of the unit at `path`, root first (schedule.ancestor_ids)."""
    return [int(p) for p in path.strip("/").split("/") if p][:-1] if path else []


class _Ancestor:
    """Ancestor `i`'s schedule fields as `resolve` reads them, from the member's row."""

    __slots__ = ("_row", "_prefix")

    def __init__(self, row: Any, i: int) -> None:
        self._row, self._prefix = row, f"a{i}_"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)
