"""Parsers of user input for the duty roster: file cells, /shift_add and /shift_assign."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.duty.file import (
    CellError,
    DutyErrorCode,
    ShiftArgsError,
    parse_day,
    parse_post,
    parse_shift_add,
    parse_shift_assign,
    parse_time,
    read_duty,
)
from bot.services.roster.file import FileProblemCode


@pytest.mark.parametrize(("text", "expected"), [
    ("8:00", "08:00"), ("08:00", "08:00"), ("23:59", "23:59"), ("07.30", "07:30"),
    ("07：30", "07:30"), ("08:00:00", "08:00"), (" 0:05 ", "00:05"),
])
def test_times(text: str, expected: str) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "8", "8am", "12:60", "abc", "1:2", "-1:00"])
def test_bad_times(text: str) -> None:
    with pytest.raises(CellError):
        parse_time(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01", date(2026, 12, 1)), ("2026/12/1", date(2026, 12, 1)),
    ("2026年12月1日", date(2026, 12, 1)), ("2026-12-01T00:00:00", date(2026, 12, 1)),
])
def test_days(text: str, expected: date) -> None:
    assert parse_day(text) == expected


@given(st.text(max_size=40))
def test_time_parser_never_crashes(text: str) -> None:
    try:
        result = parse_time(text)
    except CellError:
        return
    assert time.fromisoformat(result).strftime("%H:%M") == result


@given(st.text(max_size=40))
def test_day_and_post_parsers_never_crash(text: str) -> None:
    for parse in (parse_day, parse_post):
        try:
            parse(text)
        except CellError:
            pass


@given(st.times(), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_times_and_days_round_trip(moment: time, day: date) -> None:
    assert parse_time(moment.strftime("%H:%M")) == moment.strftime("%H:%M")
    assert parse_day(day.isoformat()) == day


TODAY = date(2026, 12, 4)  # a Friday


@pytest.mark.parametrize(("text", "day", "start", "end", "post"), [
    ("明天 早上8点到12点 大门卡口 / 李娜", date(2026, 12, 5), "08:00", "12:00", "大门卡口"),
    ("下周五 晚上10点-早上6点 夜班 / 李娜", date(2026, 12, 11), "22:00", "06:00", "夜班"),
    ("12月6日 8:00-12:00 大门 / 李娜", date(2026, 12, 6), "08:00", "12:00", "大门"),
    ("tomorrow 8am-12pm Gate / Li Na", date(2026, 12, 5), "08:00", "12:00", "Gate"),
    ("next Friday 8am - 12pm Gate / Li Na", date(2026, 12, 11), "08:00", "12:00", "Gate"),
    ("Dec 6 08:00-12:00 Gate / Li Na", date(2026, 12, 6), "08:00", "12:00", "Gate"),
])
def test_shift_add_in_words(text: str, day: date, start: str, end: str, post: str) -> None:
    args = parse_shift_add(text, TODAY)
    assert (args.day, args.start, args.end, args.post) == (day, start, end, post)


def test_shift_add_arguments() -> None:
    args = parse_shift_add("2026-12-01 08:00-12:00 Gate checkpoint / Li Na", TODAY)
    assert (args.day, args.start, args.end, args.post, args.query) == (
        date(2026, 12, 1), "08:00", "12:00", "Gate checkpoint", "Li Na")
    spaced = parse_shift_add("2026-12-01 08:00 12:00 大门 卡口 / 13800138003", TODAY)
    assert (spaced.start, spaced.end, spaced.post, spaced.query) == (
        "08:00", "12:00", "大门 卡口", "13800138003")
    assert parse_shift_add("2026-12-01 22:00 - 06:00 Night / Ben", TODAY).end == "06:00"


@pytest.mark.parametrize("text", [
    "", "2026-12-01 08:00-12:00 Gate", "2026-12-01 08:00-12:00 / Li", "08:00-12:00 Gate / Li",
    "2026-02-30 08:00-12:00 Gate / Li", "2026-12-01 08:00-08:00 Gate / Li",
    "2026-12-01 8xm-12:00 Gate / Li", "下周八 8:00-9:00 Gate / Li", "x" * 400,
])
def test_bad_shift_add_arguments(text: str) -> None:
    with pytest.raises(ShiftArgsError):
        parse_shift_add(text, TODAY)


@settings(deadline=None)  # the first English words load dateparser (~0.3 s, once)
@given(st.text(max_size=120))
def test_shift_add_never_crashes(text: str) -> None:
    try:
        args = parse_shift_add(text, TODAY)
    except ShiftArgsError:
        return
    assert args.start != args.end and 0 < len(args.query) <= 64 and len(args.post) <= 64


@given(st.text(max_size=120))
def test_shift_assign_never_crashes(text: str) -> None:
    try:
        shift_id, query = parse_shift_assign(text)
    except ShiftArgsError:
        return
    assert shift_id >= 0 and query


def test_shift_assign_arguments() -> None:
    assert parse_shift_assign("#12 Li Na") == (12, "Li Na")
    with pytest.raises(ShiftArgsError):
        parse_shift_assign("twelve Li")


def test_file_problems_and_row_errors() -> None:
    missing = read_duty(b"unit,date,start,post,phone\nA,2026-12-01,08:00,x,1\n",
                        filename="d.csv")
    assert missing.problems[0].code is FileProblemCode.MISSING_COLUMNS
    assert read_duty(b"\x89PNG....", filename="d.png").problems[0].code is \
        FileProblemCode.UNSUPPORTED_FORMAT
    chinese = "单位,日期,开始,结束,岗位,电话\nA/B,2026-12-01,08:00,12:00,卡口,13800138003\n" \
              "A/B,2026-12-01,08:00,12:00,卡口,13800138003\n"
    parsed = read_duty(chinese.encode("gb18030"), filename="d.csv")
    assert len(parsed.rows) == 1
    assert [(e.line, e.code) for e in parsed.errors] == [(3, DutyErrorCode.DUPLICATE)]


def test_xlsx_is_read_like_csv() -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["unit", "date", "start", "end", "post", "phone"])
    from datetime import datetime
    sheet.append(["A/B", datetime(2026, 12, 1), time(8, 0), time(12, 0), "Gate", 13800138003])
    out = io.BytesIO()
    book.save(out)
    parsed = read_duty(out.getvalue(), filename="d.xlsx")
    assert parsed.errors == [] and parsed.problems == []
    [row] = parsed.rows
    assert (row.day, row.start, row.end, row.phone) == (date(2026, 12, 1), "08:00", "12:00",
                                                        "+8613800138003")
