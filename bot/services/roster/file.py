"""Roster files (DESIGN.md "Roster file") read into validated rows, without the database.

Nothing is raised for bad input: problems with the file as a whole stop reading and are listed
in `problems` (and then `rows` is empty, so nothing half-read can be imported); problems with
a row are listed in `errors` with the line the user sees in the file and never stop the rows
after it. A row with any error is left out of `rows`.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

import openpyxl

from bot.services.members.phones import InvalidPhone, normalize_phone

MAX_ROSTER_BYTES = 5 * 1024 * 1024
MAX_ROSTER_ROWS = 100_000
MAX_CELL_CHARS = 256
MAX_UNIT_DEPTH = 8
MAX_UNIT_NAME = 64
MAX_NAME = 64
MAX_HOUSEHOLD = 10
MAX_RELATION = 32
MAX_HOUSEHOLD_NAME = 64
# A 5 MiB zip can inflate to gigabytes; refuse before openpyxl inflates anything.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
_MAX_COLUMNS = 64

Param = str | int | tuple[str, ...]
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


class RosterFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class FileProblemCode(enum.StrEnum):
    TOO_LARGE = "too_large"  # size, limit (bytes; for XLSX also the inflated size)
    EMPTY = "empty"  # nothing but blanks, or an XLSX without a worksheet
    NO_ROWS = "no_rows"  # a header and nothing under it
    UNSUPPORTED_FORMAT = "unsupported_format"  # detected (png, pdf, ods, docx, zip…), extension
    LEGACY_EXCEL = "legacy_excel"  # an .xls, or a password-protected workbook: both are OLE2
    UNDECODABLE = "undecodable"  # encoding tried, line of the first bad byte
    BAD_XLSX = "bad_xlsx"  # a zip that openpyxl cannot read as a workbook
    MALFORMED_CSV = "malformed_csv"  # line (e.g. an unterminated quote)
    MISSING_COLUMNS = "missing_columns"  # missing, unknown (typos are usually among these)
    UNKNOWN_COLUMNS = "unknown_columns"  # unknown: refused, since a typo would lose data
    DUPLICATE_COLUMNS = "duplicate_columns"  # columns
    TOO_MANY_ROWS = "too_many_rows"  # limit


class RowErrorCode(enum.StrEnum):
    REQUIRED = "required"
    CELL_TOO_LONG = "cell_too_long"  # length, limit
    CONTROL_CHARACTER = "control_character"  # char ("U+0009")
    UNEXPECTED_CELL = "unexpected_cell"  # position: a value beyond the header, or unheaded
    UNIT_EMPTY_PART = "unit_empty_part"  # position ("A//B", "A/")
    UNIT_NAME_TOO_LONG = "unit_name_too_long"  # position, length, limit
    UNIT_TOO_DEEP = "unit_too_deep"  # depth, limit
    NAME_TOO_LONG = "name_too_long"  # length, limit
    PHONE_INVALID = "phone_invalid"  # reason (phones.PhoneError), region ("" if unknown)
    PHONE_DUPLICATE = "phone_duplicate"  # phone, first_line
    ROLE_UNKNOWN = "role_unknown"  # value
    HOUSEHOLD_MALFORMED = "household_malformed"  # entry: not exactly one "relation:name"
    HOUSEHOLD_RELATION_EMPTY = "household_relation_empty"  # entry
    HOUSEHOLD_NAME_EMPTY = "household_name_empty"  # entry
    HOUSEHOLD_RELATION_TOO_LONG = "household_relation_too_long"  # entry, length, limit
    HOUSEHOLD_NAME_TOO_LONG = "household_name_too_long"  # entry, length, limit
    HOUSEHOLD_TOO_MANY = "household_too_many"  # count, limit
    HOUSEHOLD_DUPLICATE = "household_duplicate"  # entry
    DIGEST_UNKNOWN = "digest_unknown"  # value


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


@dataclass(frozen=True)
class FileProblem:
    code: FileProblemCode
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


class _Problem(Exception):
    def __init__(self, code: FileProblemCode, **params: Param) -> None:
        self.problem = FileProblem(code, params)


class _Bad(Exception):
    def __init__(self, code: RowErrorCode, **params: Param) -> None:
        self.code, self.params = code, params


Record = tuple[int, list[str]]  # (line as the user sees it, cells)


def read_roster(data: bytes, *, filename: str) -> RosterParseResult:
    result = RosterParseResult()
    try:
        if len(data) > MAX_ROSTER_BYTES:
            raise _Problem(FileProblemCode.TOO_LARGE, size=len(data), limit=MAX_ROSTER_BYTES)
        if not data.strip():
            raise _Problem(FileProblemCode.EMPTY)
        result.format, records = _open(data, filename)
        with closing(records):
            _read_records(records, result)
    except _Problem as exc:
        result.problems.append(exc.problem)
        result.rows.clear()
    return result


# --- the file: format, encoding, records ---------------------------------------------------

_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"%PDF", "pdf"),
          (b"\x1f\x8b", "gzip"), (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z"))


def _open(data: bytes, filename: str) -> tuple[RosterFormat, Generator[Record, None, None]]:
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04"):
        _check_zip(data, extension)
        return RosterFormat.XLSX, _xlsx_records(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Problem(FileProblemCode.LEGACY_EXCEL)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Problem(FileProblemCode.UNDECODABLE, encoding="utf-16", line=1)
    detected = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if data[4:8] == b"ftyp":
        detected = "media"  # HEIC photos and MP4 videos
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        detected = "webp"
    elif detected is None and b"\x00" in data[:4096]:
        detected = "binary"  # no text file of ours contains NUL
    if detected is not None:
        raise _Problem(FileProblemCode.UNSUPPORTED_FORMAT, detected=detected,
                       extension=extension)
    return RosterFormat.CSV, _csv_records(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_as(data[3:], "utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Chinese text already read as UTF-8 means a damaged UTF-8 file: read as GB18030 it
        # would import as plausible-looking nonsense. GBK bytes rarely form even one such
        # character by accident, never three.
        if sum(ord(char) > 0x7FF for char in data[: exc.start].decode("utf-8")) >= 3:
            raise _undecodable(data, exc, "utf-8") from None
    # Chinese Excel saves "CSV" in GBK, of which GB18030 is the superset.
    return _decode_as(data, "gb18030")


def _decode_as(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, encoding) from None


def _undecodable(data: bytes, exc: UnicodeDecodeError, encoding: str) -> _Problem:
    line = data[: exc.start].count(b"\n") + 1
    return _Problem(FileProblemCode.UNDECODABLE, encoding=encoding, line=line)


def _csv_records(text: str) -> Generator[Record, None, None]:
    first_line = text.lstrip("\r\n").partition("\n")[0]
    # Excel's "Text (tab delimited)" and spreadsheet copy-paste give tabs; semicolons are not
    # guessed, since they separate household entries.
    delimiter = "\t" if "," not in first_line and "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        line = reader.line_num + 1  # a quoted cell may span lines: report where it starts
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _Problem(FileProblemCode.MALFORMED_CSV, line=line) from None
        yield line, cells


def _check_zip(data: bytes, extension: str) -> None:
    """Refuse other zips (ODS, DOCX) by name and zip bombs by size, before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
            mimetype = archive.open("mimetype").read(100) if "mimetype" in names else b""
    except Exception:  # zipfile also raises NotImplementedError, RuntimeError, EOFError…
        raise _Problem(FileProblemCode.BAD_XLSX) from None
    if "xl/workbook.xml" not in names:
        detected = ("ods" if b"opendocument.spreadsheet" in mimetype
                    else "docx" if "word/document.xml" in names else "zip")
        raise _Problem(FileProblemCode.UNSUPPORTED_FORMAT, detected=detected,
                       extension=extension)
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise _Problem(FileProblemCode.TOO_LARGE, size=inflated, limit=MAX_XLSX_UNCOMPRESSED)


def _xlsx_records(data: bytes) -> Generator[Record, None, None]:
    # openpyxl raises whatever its XML and zip layers raise on a damaged workbook, and warns
    # about features it drops (data validation, default styles) that do not matter here.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _Problem(FileProblemCode.BAD_XLSX) from None
    try:
        if not book.worksheets:
            raise _Problem(FileProblemCode.EMPTY)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read-only mode trusts the stored size, which can be wrong
        rows = sheet.iter_rows(max_col=_MAX_COLUMNS, values_only=True)
        # Only parsing errors land here: closing the generator raises GeneratorExit instead.
        for line, values in enumerate(rows, start=1):
            yield line, [_cell_text(v) for v in values]
    except _Problem:
        raise
    except Exception:
        raise _Problem(FileProblemCode.BAD_XLSX) from None
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 13800138000 as a float
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- records into rows ---------------------------------------------------------------------


def _read_records(records: Generator[Record, None, None], result: RosterParseResult) -> None:
    columns = _header(records)
    seen_phones: dict[str, int] = {}
    count = 0
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and Excel's formatted-but-empty rows
        count += 1
        if count > MAX_ROSTER_ROWS:
            raise _Problem(FileProblemCode.TOO_MANY_ROWS, limit=MAX_ROSTER_ROWS)
        row, phone, errors = _parse_row(line, columns, cells)
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
    if count == 0:
        raise _Problem(FileProblemCode.NO_ROWS)


def _header(records: Generator[Record, None, None]) -> list[Column | None]:
    cells = next((cells for _, cells in records if any(c.strip() for c in cells)), None)
    if cells is None:
        raise _Problem(FileProblemCode.EMPTY)
    keys = [unicodedata.normalize("NFKC", cell).strip().casefold() for cell in cells]
    columns = [_HEADERS.get(key) for key in keys]
    unknown = tuple(cell.strip() for cell, key, column in zip(cells, keys, columns, strict=True)
                    if key and column is None)
    present = [column for column in columns if column is not None]
    missing = tuple(column.value for column in REQUIRED_COLUMNS if column not in present)
    if missing:
        raise _Problem(FileProblemCode.MISSING_COLUMNS, missing=missing, unknown=unknown)
    if unknown:
        raise _Problem(FileProblemCode.UNKNOWN_COLUMNS, unknown=unknown)
    duplicates = tuple(dict.fromkeys(c.value for c in present if present.count(c) > 1))
    if duplicates:
        raise _Problem(FileProblemCode.DUPLICATE_COLUMNS, columns=duplicates)
    return columns


def _parse_row(
    line: int, columns: list[Column | None], cells: list[str]
) -> tuple[RosterRow | None, str | None, list[RowError]]:
    """The row (None if any cell is wrong), its phone if that cell is right, and the errors."""
    errors: list[RowError] = []
    values = dict.fromkeys(Column, "")
    for position, text in enumerate(cells, start=1):
        column = columns[position - 1] if position <= len(columns) else None
        if column is not None:
            values[column] = text
        elif text.strip():
            errors.append(RowError(line, None, RowErrorCode.UNEXPECTED_CELL,
                                   {"position": position}))

    def read(column: Column, parse: Callable[[str], T]) -> T | None:
        text = values[column]
        try:
            if len(text) > MAX_CELL_CHARS:
                raise _Bad(RowErrorCode.CELL_TOO_LONG, length=len(text), limit=MAX_CELL_CHARS)
            return parse(text)
        except _Bad as bad:
            errors.append(RowError(line, column, bad.code, bad.params))
            return None

    unit, name, phone = read(Column.UNIT, _unit), read(Column.NAME, _name), read(
        Column.PHONE, _phone)
    role, household = read(Column.ROLE, _role), read(Column.HOUSEHOLD, _household)
    digest = read(Column.DIGEST, _digest)
    if (unit is None or name is None or phone is None or role is None or household is None
            or digest is None or errors):
        return None, phone, errors
    return RosterRow(line, unit, name, phone, role, household, digest), phone, errors


# --- cells -----------------------------------------------------------------------------------

_UNIT_SEPARATOR = re.compile(r"[/／]")
_ENTRY_SEPARATOR = re.compile(r"[;；]")
_PAIR_SEPARATOR = re.compile(r"[:：]")
# Bidirectional overrides and isolates can make a name display as something else.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str) -> str:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI:
            raise _Bad(RowErrorCode.CONTROL_CHARACTER, char=f"U+{ord(char):04X}")
    return value


def _required(value: str) -> str:
    value = value.strip()
    if not value:
        raise _Bad(RowErrorCode.REQUIRED)
    return value


def _keyword(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _unit(value: str) -> tuple[str, ...]:
    parts = [part.strip() for part in _UNIT_SEPARATOR.split(_required(value))]
    if len(parts) > MAX_UNIT_DEPTH:
        raise _Bad(RowErrorCode.UNIT_TOO_DEEP, depth=len(parts), limit=MAX_UNIT_DEPTH)
    for position, part in enumerate(parts, start=1):
        if not part:
            raise _Bad(RowErrorCode.UNIT_EMPTY_PART, position=position)
        if len(part) > MAX_UNIT_NAME:
            raise _Bad(RowErrorCode.UNIT_NAME_TOO_LONG, position=position, length=len(part),
                       limit=MAX_UNIT_NAME)
        _text(part)
    return tuple(parts)


def _name(value: str) -> str:
    name = _required(value)
    if len(name) > MAX_NAME:
        raise _Bad(RowErrorCode.NAME_TOO_LONG, length=len(name), limit=MAX_NAME)
    return _text(name)


def _phone(value: str) -> str:
    try:
        return normalize_phone(_required(value))
    except InvalidPhone as exc:
        raise _Bad(RowErrorCode.PHONE_INVALID, reason=exc.reason,
                   region=exc.region or "") from None


def _choice(table: Mapping[str, T], code: RowErrorCode) -> Callable[[str], T]:
    def parse(value: str) -> T:
        choice = table.get(_keyword(value))
        if choice is None:
            raise _Bad(code, value=value.strip())
        return choice

    return parse


_role = _choice(_ROLES, RowErrorCode.ROLE_UNKNOWN)
_digest = _choice(_DIGEST, RowErrorCode.DIGEST_UNKNOWN)


def _household(value: str) -> tuple[tuple[str, str], ...]:
    # Empty entries are skipped: "spouse:Li Na;" with a trailing separator is common.
    entries = [entry.strip() for entry in _ENTRY_SEPARATOR.split(value) if entry.strip()]
    if len(entries) > MAX_HOUSEHOLD:
        raise _Bad(RowErrorCode.HOUSEHOLD_TOO_MANY, count=len(entries), limit=MAX_HOUSEHOLD)
    result: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        pair = [part.strip() for part in _PAIR_SEPARATOR.split(entry)]
        if len(pair) != 2:
            raise _Bad(RowErrorCode.HOUSEHOLD_MALFORMED, entry=entry)
        relation, name = pair
        if not relation:
            raise _Bad(RowErrorCode.HOUSEHOLD_RELATION_EMPTY, entry=entry)
        if not name:
            raise _Bad(RowErrorCode.HOUSEHOLD_NAME_EMPTY, entry=entry)
        if len(relation) > MAX_RELATION:
            raise _Bad(RowErrorCode.HOUSEHOLD_RELATION_TOO_LONG, entry=entry,
                       length=len(relation), limit=MAX_RELATION)
        if len(name) > MAX_HOUSEHOLD_NAME:
            raise _Bad(RowErrorCode.HOUSEHOLD_NAME_TOO_LONG, entry=entry, length=len(name),
                       limit=MAX_HOUSEHOLD_NAME)
        key = (_keyword(relation), _keyword(name))
        if key in seen:
            raise _Bad(RowErrorCode.HOUSEHOLD_DUPLICATE, entry=entry)
        seen.add(key)
        result.append((_text(relation), _text(name)))
    return tuple(result)
