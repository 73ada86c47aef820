"""Duty roster files (`unit,date,start,end,post,phone`) read into validated rows, without the
database. The file itself is read exactly like a member roster (bot.services.roster.file: CSV
in UTF-8 or GBK, or the first sheet of an XLSX; the same limits and file problems); a row with
any error is left out of `rows` and listed with its line and reason.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, time
from typing import TypeVar

from bot.services.roster.file import MAX_ROSTER_BYTES, MAX_ROSTER_ROWS, MAX_XLSX_UNCOMPRESSED
from bot.services.roster.tabular import (
    CellError,
    FileProblem,
    Param,
    RowErrorCode,
    TableProblem,
    TableRow,
    clean_text,
    cooperatively,
    open_table,
    parse_phone,
    parse_unit,
    read_cell,
    table_rows,
)
from bot.services.when import InvalidWhen, parse_clock
from bot.services.when import parse_day as parse_when_day

__all__ = [
    "MAX_POST", "CellError", "DutyColumn", "DutyErrorCode", "DutyParseResult", "DutyRow",
    "DutyRowError", "ShiftArgs", "ShiftArgsError", "parse_day", "parse_post",
    "parse_shift_add", "parse_shift_assign", "parse_time", "read_duty",
]

MAX_POST = 64
T = TypeVar("T")


class DutyColumn(enum.StrEnum):
    UNIT = "unit"
    DATE = "date"
    START = "start"
    END = "end"
    POST = "post"
    PHONE = "phone"


_HEADERS = {c.value: c for c in DutyColumn} | {
    "单位": DutyColumn.UNIT, "日期": DutyColumn.DATE, "开始": DutyColumn.START,
    "结束": DutyColumn.END, "岗位": DutyColumn.POST, "电话": DutyColumn.PHONE,
}


class DutyErrorCode(enum.StrEnum):
    """Codes of duty rows; roster_file.RowErrorCode values are used for the shared cells."""

    BAD_DATE = "bad_date"  # value
    BAD_TIME = "bad_time"  # value
    SAME_TIMES = "same_times"
    POST_TOO_LONG = "post_too_long"  # length, limit
    DUPLICATE = "duplicate"  # first_line
    UNKNOWN_UNIT = "unknown_unit"  # unit
    UNKNOWN_PHONE = "unknown_phone"  # phone
    OTHER_UNIT = "other_unit"  # phone: the person is not a member of that unit
    OUTSIDE_SCOPE = "outside_scope"  # unit: not in the importing leader's units


@dataclass(frozen=True)
class DutyRow:
    line: int
    unit_path: tuple[str, ...]
    day: date
    start: str
    end: str
    post: str
    phone: str


@dataclass(frozen=True)
class DutyRowError:
    line: int
    column: DutyColumn | None
    code: str  # a DutyErrorCode or roster_file.RowErrorCode value
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass
class DutyParseResult:
    rows: list[DutyRow] = field(default_factory=list)
    errors: list[DutyRowError] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


async def load_duty(data: bytes, *, filename: str) -> DutyParseResult:
    """`read_duty`, letting every other chat go on meanwhile (see roster.file.load_roster)."""
    return await cooperatively(lambda pause: read_duty(data, filename=filename, pause=pause))


def read_duty(data: bytes, *, filename: str,
              pause: Callable[[], None] | None = None) -> DutyParseResult:
    result = DutyParseResult()
    try:
        _format, records = open_table(data, filename=filename, max_bytes=MAX_ROSTER_BYTES,
                                      max_inflated=MAX_XLSX_UNCOMPRESSED)
        with closing(records):
            _read(table_rows(records, _HEADERS, DutyColumn, max_rows=MAX_ROSTER_ROWS,
                             pause=pause), result)
    except TableProblem as exc:
        result.problems.append(exc.problem)
        result.rows.clear()
    return result


def _read(rows: Iterable[TableRow[DutyColumn]], result: DutyParseResult) -> None:
    seen: dict[tuple[object, ...], int] = {}
    for table_row in rows:
        line = table_row.line
        row, errors = _row(table_row)
        if row is not None:
            key = (row.unit_path, row.day, row.start, row.post.casefold(), row.phone)
            first = seen.setdefault(key, line)
            if first != line:
                errors.append(DutyRowError(line, None, DutyErrorCode.DUPLICATE,
                                           {"first_line": first}))
        if errors:
            result.errors.extend(errors)
        elif row is not None:
            result.rows.append(row)


def _row(table_row: TableRow[DutyColumn]) -> tuple[DutyRow | None, list[DutyRowError]]:
    line, values = table_row.line, table_row.values
    errors = [DutyRowError(line, None, RowErrorCode.UNEXPECTED_CELL, {"position": position})
              for position in table_row.unexpected]

    def read(column: DutyColumn, parse: Callable[[str], T]) -> T | None:
        try:
            return read_cell(values[column], parse)
        except CellError as bad:
            errors.append(DutyRowError(line, column, bad.code, bad.params))
        return None

    unit = read(DutyColumn.UNIT, parse_unit)
    day = read(DutyColumn.DATE, parse_day)
    start = read(DutyColumn.START, parse_time)
    end = read(DutyColumn.END, parse_time)
    post = read(DutyColumn.POST, parse_post)
    phone = read(DutyColumn.PHONE, parse_phone)
    if start is not None and start == end:
        errors.append(DutyRowError(line, DutyColumn.END, DutyErrorCode.SAME_TIMES))
    if (unit is None or day is None or start is None or end is None or post is None
            or phone is None or errors):
        return None, errors
    return DutyRow(line, unit, day, start, end, post, phone), errors


_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]00:00(?::00)?)?")
_TIME = re.compile(r"(\d{1,2})[:：.](\d{2})(?::00)?")


def parse_day(value: str, today: date | None = None) -> date:
    """`2026-12-01`, `2026/12/1`, `2026年12月1日`, or Excel's `2026-12-01T00:00:00`; with
    `today` (a leader's command, not a file), also words: `明天`, `下周五`, `Dec 6`."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise CellError(RowErrorCode.REQUIRED)
    match = _DAY.fullmatch(text)
    try:
        if match is None:
            if today is not None:
                try:
                    return parse_when_day(text, today)
                except InvalidWhen:
                    pass
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(DutyErrorCode.BAD_DATE, value=value.strip()[:32]) from None


def parse_time(value: str) -> str:
    """`8:00`, `08:00`, `08.00`, `08:00:00` → "08:00"; 24:00 is refused (use 00:00)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise CellError(RowErrorCode.REQUIRED)
    match = _TIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return time(int(match[1]), int(match[2])).strftime("%H:%M")
    except ValueError:
        raise CellError(DutyErrorCode.BAD_TIME, value=value.strip()[:32]) from None


def parse_post(value: str) -> str:
    post = " ".join(value.split())
    if not post:
        raise CellError(RowErrorCode.REQUIRED)
    if len(post) > MAX_POST:
        raise CellError(DutyErrorCode.POST_TOO_LONG, length=len(post), limit=MAX_POST)
    return clean_text(post)


# --- parsing the leaders' commands -----------------------------------------------------------


class ShiftArgsError(ValueError):
    """/shift_add or /shift_assign arguments that cannot be read (the handler shows usage)."""


@dataclass(frozen=True)
class ShiftArgs:
    day: date
    start: str
    end: str
    post: str
    query: str  # the person: a name (part of it) or a phone number


_RANGE = re.compile(r"\s*[-–—~～至到]\s*")
MAX_DAY_WORDS = 3  # "next friday", "dec 6"


def _shift_time(text: str) -> str:
    """A shift's start or end: `08:00`, or as people say it (`早上8点`, `8am`)."""
    try:
        return parse_time(text)
    except CellError:
        try:
            return parse_clock(text).strftime("%H:%M")
        except InvalidWhen:
            raise ShiftArgsError("bad time") from None


def _times_and_post(text: str) -> tuple[str, str, str]:
    """`08:00-12:00 POST`, `08:00 12:00 POST`, `早上8点到12点 POST` → (start, end, post)."""
    times_and_post = _RANGE.sub("-", text, count=1).split(None, 1)
    if len(times_and_post) != 2:
        raise ShiftArgsError("no post")
    span, post_text = times_and_post
    if "-" in span:
        start_text, _sep, end_text = span.partition("-")
    else:  # "08:00 12:00 post"
        more = post_text.split(None, 1)
        if len(more) != 2:
            raise ShiftArgsError("no end")
        start_text, (end_text, post_text) = span, more
    return _shift_time(start_text), _shift_time(end_text), post_text


def parse_shift_add(text: str, today: date) -> ShiftArgs:
    """`DAY START-END POST / NAME` (also `DAY START END POST / NAME`); DAY as ISO or as people
    write it (`明天`, `下周五`, `12月6日`, `next Friday`), the next such day from `today`."""
    if len(text) > 300:
        raise ShiftArgsError("too long")
    text = unicodedata.normalize("NFKC", text).strip()
    head, sep, query = text.rpartition("/")
    query = " ".join(query.split())
    if not sep or not query or len(query) > 64:
        raise ShiftArgsError("no person")
    words = head.split()
    if len(words) < 2:
        raise ShiftArgsError("no date")
    for size in range(min(MAX_DAY_WORDS, len(words) - 1), 0, -1):
        day_text, rest = " ".join(words[:size]), " ".join(words[size:])
        try:
            day = parse_day(day_text, today)
        except CellError:
            continue
        start, end, post_text = _times_and_post(rest)
        break
    else:
        raise ShiftArgsError("no date")
    try:
        post = parse_post(post_text)
    except CellError:
        raise ShiftArgsError("bad cell") from None
    if start == end:
        raise ShiftArgsError("same times")
    return ShiftArgs(day, start, end, post, query)


def parse_shift_assign(text: str) -> tuple[int, str]:
    """`ID NAME` (ID as /shifts shows it, with or without `#`)."""
    if len(text) > 100:
        raise ShiftArgsError("too long")
    parts = unicodedata.normalize("NFKC", text).split(None, 1)
    if len(parts) != 2 or not re.fullmatch(r"#?\d{1,9}", parts[0]):
        raise ShiftArgsError("usage")
    query = " ".join(parts[1].split())
    if len(query) > 64:
        raise ShiftArgsError("too long")
    return int(parts[0].lstrip("#")), query
