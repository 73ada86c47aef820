"""Roster files (DESIGN.md "Roster file") read into validated rows, without the database.

Nothing is raised for bad input: problems with the file as a whole stop reading and are listed
in `problems` (and then `rows` is empty, so nothing half-read can be imported); problems with
a row are listed in `errors` with the line the user sees in the file and never stop the rows
after it. A row with any error is left out of `rows`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import TypeVar

from bot.services.roster.tabular import (
    MAX_CELL_CHARS,
    MAX_UNIT_DEPTH,
    MAX_UNIT_NAME,
    CellError,
    FileProblem,
    FileProblemCode,
    Param,
    RowErrorCode,
    TableProblem,
    TableRow,
    clean_text,
    cooperatively,
    keyword,
    open_table,
    parse_phone,
    parse_unit,
    read_cell,
    required,
    table_rows,
)
from bot.services.roster.tabular import TableFormat as RosterFormat

__all__ = [
    "MAX_CELL_CHARS", "MAX_HOUSEHOLD", "MAX_HOUSEHOLD_NAME", "MAX_NAME", "MAX_RELATION",
    "MAX_ROSTER_BYTES", "MAX_ROSTER_ROWS", "MAX_UNIT_DEPTH", "MAX_UNIT_NAME",
    "MAX_XLSX_UNCOMPRESSED", "REQUIRED_COLUMNS", "Column", "FileProblem", "FileProblemCode",
    "Param", "RosterFormat", "RosterParseResult", "RosterRole", "RosterRow", "RowError",
    "RowErrorCode", "read_roster",
]

MAX_ROSTER_BYTES = 5 * 1024 * 1024
MAX_ROSTER_ROWS = 100_000
MAX_NAME = 64
MAX_HOUSEHOLD = 10
MAX_RELATION = 32
MAX_HOUSEHOLD_NAME = 64
# A 5 MiB zip can inflate to gigabytes; refuse before openpyxl inflates anything.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
T = TypeVar("T")


class Column(enum.StrEnum):
    UNIT = "unit"
    NAME = "name"
    PHONE = "phone"
    ROLE = "role"
    HOUSEHOLD = "household"
    DIGEST = "digest"


REQUIRED_COLUMNS = (Column.UNIT, Column.NAME, Column.PHONE)
_HEADERS = {c.value: c for c in Column} | {
    "单位": Column.UNIT, "姓名": Column.NAME, "电话": Column.PHONE,
    "角色": Column.ROLE, "家属": Column.HOUSEHOLD, "接收日报": Column.DIGEST,
}


class RosterRole(enum.StrEnum):
    """Same values as `bot.db.models.Role`, kept here so this module needs no database."""

    MEMBER = "member"
    LEADER = "leader"
    ADMIN = "admin"


_ROLES = {"": RosterRole.MEMBER, "member": RosterRole.MEMBER, "成员": RosterRole.MEMBER,
          "leader": RosterRole.LEADER, "负责人": RosterRole.LEADER,
          "admin": RosterRole.ADMIN, "管理员": RosterRole.ADMIN}
_DIGEST = {"": False, "no": False, "n": False, "false": False, "0": False, "否": False,
           "yes": True, "y": True, "true": True, "1": True, "是": True}


@dataclass(frozen=True)
class RosterRow:
    line: int
    unit_path: tuple[str, ...]
    name: str
    phone: str
    role: RosterRole = RosterRole.MEMBER
    household: tuple[tuple[str, str], ...] = ()
    digest: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    column: Column | None
    code: RowErrorCode
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass
class RosterParseResult:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    format: RosterFormat | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.errors


async def load_roster(data: bytes, *, filename: str) -> RosterParseResult:
    """`read_roster`, letting every other chat go on while a large file is read
    (tabular.cooperatively)."""
    return await cooperatively(lambda pause: read_roster(data, filename=filename, pause=pause))


def read_roster(data: bytes, *, filename: str,
                pause: Callable[[], None] | None = None) -> RosterParseResult:
    result = RosterParseResult()
    try:
        result.format, records = open_table(
            data, filename=filename, max_bytes=MAX_ROSTER_BYTES,
            max_inflated=MAX_XLSX_UNCOMPRESSED)
        with closing(records):
            _read_rows(table_rows(records, _HEADERS, REQUIRED_COLUMNS,
                                  max_rows=MAX_ROSTER_ROWS, pause=pause), result)
    except TableProblem as exc:
        result.problems.append(exc.problem)
        result.rows.clear()
    return result


def _read_rows(rows: Iterable[TableRow[Column]], result: RosterParseResult) -> None:
    seen_phones: dict[str, int] = {}
    for table_row in rows:
        line = table_row.line
        row, phone, errors = _parse_row(table_row)
        if phone is not None:
            # The first line with a phone owns it, even when something else on it is wrong.
            first = seen_phones.setdefault(phone, line)
            if first != line:
                errors.append(RowError(line, Column.PHONE, RowErrorCode.PHONE_DUPLICATE,
                                       {"phone": phone, "first_line": first}))
        if errors:
            result.errors.extend(errors)
        elif row is not None:
            result.rows.append(row)


def _parse_row(
    table_row: TableRow[Column],
) -> tuple[RosterRow | None, str | None, list[RowError]]:
    """The row (None if any cell is wrong), its phone if that cell is right, and the errors."""
    line, values = table_row.line, table_row.values
    errors = [RowError(line, None, RowErrorCode.UNEXPECTED_CELL, {"position": position})
              for position in table_row.unexpected]

    def read(column: Column, parse: Callable[[str], T]) -> T | None:
        try:
            return read_cell(values[column], parse)
        except CellError as bad:
            errors.append(RowError(line, column, RowErrorCode(bad.code), bad.params))
            return None

    unit, name, phone = read(Column.UNIT, parse_unit), read(Column.NAME, _name), read(
        Column.PHONE, parse_phone)
    role, household = read(Column.ROLE, _role), read(Column.HOUSEHOLD, _household)
    digest = read(Column.DIGEST, _digest)
    if (unit is None or name is None or phone is None or role is None or household is None
            or digest is None or errors):
        return None, phone, errors
    return RosterRow(line, unit, name, phone, role, household, digest), phone, errors


# --- cells -----------------------------------------------------------------------------------

_ENTRY_SEPARATOR = re.compile(r"[;；]")
_PAIR_SEPARATOR = re.compile(r"[:：]")


def _name(value: str) -> str:
    name = required(value)
    if len(name) > MAX_NAME:
        raise CellError(RowErrorCode.NAME_TOO_LONG, length=len(name), limit=MAX_NAME)
    return clean_text(name)


def _choice(table: Mapping[str, T], code: RowErrorCode) -> Callable[[str], T]:
    def parse(value: str) -> T:
        choice = table.get(keyword(value))
        if choice is None:
            raise CellError(code, value=value.strip())
        return choice

    return parse


_role = _choice(_ROLES, RowErrorCode.ROLE_UNKNOWN)
_digest = _choice(_DIGEST, RowErrorCode.DIGEST_UNKNOWN)


def _household(value: str) -> tuple[tuple[str, str], ...]:
    # Empty entries are skipped: "spouse:Li Na;" with a trailing separator is common.
    entries = [entry.strip() for entry in _ENTRY_SEPARATOR.split(value) if entry.strip()]
    if len(entries) > MAX_HOUSEHOLD:
        raise CellError(RowErrorCode.HOUSEHOLD_TOO_MANY, count=len(entries), limit=MAX_HOUSEHOLD)
    result: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        pair = [part.strip() for part in _PAIR_SEPARATOR.split(entry)]
        if len(pair) != 2:
            raise CellError(RowErrorCode.HOUSEHOLD_MALFORMED, entry=entry)
        relation, name = pair
        if not relation:
            raise CellError(RowErrorCode.HOUSEHOLD_RELATION_EMPTY, entry=entry)
        if not name:
            raise CellError(RowErrorCode.HOUSEHOLD_NAME_EMPTY, entry=entry)
        if len(relation) > MAX_RELATION:
            raise CellError(RowErrorCode.HOUSEHOLD_RELATION_TOO_LONG, entry=entry,
                            length=len(relation), limit=MAX_RELATION)
        if len(name) > MAX_HOUSEHOLD_NAME:
            raise CellError(RowErrorCode.HOUSEHOLD_NAME_TOO_LONG, entry=entry,
                            length=len(name), limit=MAX_HOUSEHOLD_NAME)
        key = (keyword(relation), keyword(name))
        if key in seen:
            raise CellError(RowErrorCode.HOUSEHOLD_DUPLICATE, entry=entry)
        seen.add(key)
        result.append((clean_text(relation), clean_text(name)))
    return tuple(result)
