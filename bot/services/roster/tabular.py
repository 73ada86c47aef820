"""Tables sent as files (member rosters, duty rosters), read without the database.

One reader for both: the format is detected (CSV in UTF-8 or GBK/GB18030, comma- or
tab-separated, or the first sheet of an XLSX; anything else is named and refused), the header
row is matched against the caller's column names, and the rows under it come out as text cells
by column, with their line as the user sees it. Problems with the file as a whole are raised as
`TableProblem` (its `problem` is a `FileProblem`); a bad cell is a `CellError` from the cell
helpers at the end of this module.
"""

from __future__ import annotations

import asyncio
import csv
import enum
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from time import perf_counter
from typing import Generic, TypeVar, cast

from greenlet import greenlet

from bot.services.members.phones import InvalidPhone, normalize_phone

MAX_CELL_CHARS = 256
MAX_UNIT_DEPTH = 8
MAX_UNIT_NAME = 64
MAX_COLUMNS = 64
# Blank rows are skipped, but they still cost reading: a small XLSX of 1.8 million
# formatted-but-empty rows held the bot for a minute. Past max_rows plus this many lines,
# blank or not, a file is refused as too long.
MAX_BLANK_ROWS = 10_000

Param = str | int | tuple[str, ...]
C = TypeVar("C", bound=enum.Enum)
T = TypeVar("T")


class TableFormat(enum.StrEnum):
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
    """What is wrong with a cell of a roster; a duty roster uses the shared ones too."""

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
class FileProblem:
    code: FileProblemCode
    params: Mapping[str, Param] = field(default_factory=dict)


class TableProblem(Exception):
    """The file as a whole cannot be read: nothing of it may be used."""

    def __init__(self, code: FileProblemCode, **params: Param) -> None:
        super().__init__(code)
        self.problem = FileProblem(code, params)


class CellError(Exception):
    """A cell that cannot be read: `code` is a RowErrorCode (or a caller's own code) value."""

    def __init__(self, code: str, **params: Param) -> None:
        super().__init__(code)
        self.code, self.params = code, params


Record = tuple[int, list[str]]  # (line as the user sees it, cells)


@dataclass(frozen=True)
class TableRow(Generic[C]):
    line: int
    values: dict[C, str]  # every column of the table, "" when the row has no cell for it
    unexpected: tuple[int, ...]  # positions (from 1) of values beyond or outside the header


def open_table(data: bytes, *, filename: str, max_bytes: int,
               max_inflated: int) -> tuple[TableFormat, Generator[Record, None, None]]:
    """The format and the records of a file; close the records when done with them."""
    if len(data) > max_bytes:
        raise TableProblem(FileProblemCode.TOO_LARGE, size=len(data), limit=max_bytes)
    if not data.strip():
        raise TableProblem(FileProblemCode.EMPTY)
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04"):
        _check_zip(data, extension, max_inflated)
        return TableFormat.XLSX, _xlsx_records(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableProblem(FileProblemCode.LEGACY_EXCEL)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableProblem(FileProblemCode.UNDECODABLE, encoding="utf-16", line=1)
    detected = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if data[4:8] == b"ftyp":
        detected = "media"  # HEIC photos and MP4 videos
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        detected = "webp"
    elif detected is None and b"\x00" in data[:4096]:
        detected = "binary"  # no text file of ours contains NUL
    if detected is not None:
        raise TableProblem(FileProblemCode.UNSUPPORTED_FORMAT, detected=detected,
                           extension=extension)
    return TableFormat.CSV, _csv_records(_decode(data))


# How long a file is read at a stretch before the event loop gets a turn (cooperatively).
SLICE = 0.02


async def cooperatively(read: Callable[[Callable[[], None]], T]) -> T:
    """Run `read(pause)` on the event loop's thread, giving the loop a turn whenever
    `pause()` finds SLICE seconds have passed (table_rows calls it every line): a large file
    takes seconds to read, and every other chat must go on meanwhile. A greenlet (as
    SQLAlchemy's asyncio layer uses) rather than a thread: a thread holding the GIL on a busy
    machine held the loop up for half a second at a time; here a stretch is SLICE long."""
    started = perf_counter()

    def pause() -> None:
        nonlocal started
        if perf_counter() - started >= SLICE:
            reader.parent.switch()
            started = perf_counter()

    reader = greenlet(lambda: read(pause))
    result = reader.switch()
    while not reader.dead:
        await asyncio.sleep(0)
        result = reader.switch()
    return cast(T, result)


def table_rows(
    records: Iterable[Record], headers: Mapping[str, C], required_columns: Iterable[C], *,
    max_rows: int, pause: Callable[[], None] | None = None,
) -> Generator[TableRow[C], None, None]:
    """The non-blank rows under the header; raises TableProblem for a bad header, more than
    `max_rows` rows (or more than `max_rows` + MAX_BLANK_ROWS lines, blank ones included),
    or none at all. `headers` maps casefolded header texts to columns."""
    iterator = iter(records)
    columns = _header(iterator, headers, tuple(required_columns))
    every = dict.fromkeys(headers.values(), "")
    count = scanned = 0
    for line, cells in iterator:
        scanned += 1
        if pause is not None:
            pause()
        if scanned > max_rows + MAX_BLANK_ROWS:
            raise TableProblem(FileProblemCode.TOO_MANY_ROWS, limit=max_rows)
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and Excel's formatted-but-empty rows
        count += 1
        if count > max_rows:
            raise TableProblem(FileProblemCode.TOO_MANY_ROWS, limit=max_rows)
        values = dict(every)
        unexpected: list[int] = []
        for position, text in enumerate(cells, start=1):
            column = columns[position - 1] if position <= len(columns) else None
            if column is not None:
                values[column] = text
            elif text.strip():
                unexpected.append(position)
        yield TableRow(line, values, tuple(unexpected))
    if count == 0:
        raise TableProblem(FileProblemCode.NO_ROWS)


def _header(records: Iterable[Record], headers: Mapping[str, C],
            required_columns: tuple[C, ...]) -> list[C | None]:
    cells = next((cells for _, cells in records if any(c.strip() for c in cells)), None)
    if cells is None:
        raise TableProblem(FileProblemCode.EMPTY)
    keys = [keyword(cell) for cell in cells]
    columns = [headers.get(key) for key in keys]
    unknown = tuple(cell.strip() for cell, key, column in zip(cells, keys, columns, strict=True)
                    if key and column is None)
    present = [column for column in columns if column is not None]
    missing = tuple(str(column.value) for column in required_columns if column not in present)
    if missing:
        raise TableProblem(FileProblemCode.MISSING_COLUMNS, missing=missing, unknown=unknown)
    if unknown:
        raise TableProblem(FileProblemCode.UNKNOWN_COLUMNS, unknown=unknown)
    duplicates = tuple(dict.fromkeys(str(c.value) for c in present if present.count(c) > 1))
    if duplicates:
        raise TableProblem(FileProblemCode.DUPLICATE_COLUMNS, columns=duplicates)
    return columns


# --- the file: format, encoding, records ---------------------------------------------------

_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"%PDF", "pdf"),
          (b"\x1f\x8b", "gzip"), (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z"))


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


def _undecodable(data: bytes, exc: UnicodeDecodeError, encoding: str) -> TableProblem:
    line = data[: exc.start].count(b"\n") + 1
    return TableProblem(FileProblemCode.UNDECODABLE, encoding=encoding, line=line)


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
            raise TableProblem(FileProblemCode.MALFORMED_CSV, line=line) from None
        yield line, cells


def _check_zip(data: bytes, extension: str, max_inflated: int) -> None:
    """Refuse other zips (ODS, DOCX) by name and zip bombs by size, before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
            mimetype = archive.open("mimetype").read(100) if "mimetype" in names else b""
    except Exception:  # zipfile also raises NotImplementedError, RuntimeError, EOFError…
        raise TableProblem(FileProblemCode.BAD_XLSX) from None
    if "xl/workbook.xml" not in names:
        detected = ("ods" if b"opendocument.spreadsheet" in mimetype
                    else "docx" if "word/document.xml" in names else "zip")
        raise TableProblem(FileProblemCode.UNSUPPORTED_FORMAT, detected=detected,
                           extension=extension)
    if inflated > max_inflated:
        raise TableProblem(FileProblemCode.TOO_LARGE, size=inflated, limit=max_inflated)


def _xlsx_records(data: bytes) -> Generator[Record, None, None]:
    import openpyxl  # only for an uploaded workbook: not resident in every process

    # openpyxl raises whatever its XML and zip layers raise on a damaged workbook, and warns
    # about features it drops (data validation, default styles) that do not matter here.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise TableProblem(FileProblemCode.BAD_XLSX) from None
    try:
        if not book.worksheets:
            raise TableProblem(FileProblemCode.EMPTY)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read-only mode trusts the stored size, which can be wrong
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        # Only parsing errors land here: closing the generator raises GeneratorExit instead.
        for line, values in enumerate(rows, start=1):
            yield line, [_cell_text(v) for v in values]
    except TableProblem:
        raise
    except Exception:
        raise TableProblem(FileProblemCode.BAD_XLSX) from None
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


# --- cells -----------------------------------------------------------------------------------

_UNIT_SEPARATOR = re.compile(r"[/／]")
# Bidirectional overrides and isolates can make a name display as something else.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def read_cell(text: str, parse: Callable[[str], T]) -> T:
    """`parse(text)`, refusing first a cell longer than any cell of ours may be."""
    if len(text) > MAX_CELL_CHARS:
        raise CellError(RowErrorCode.CELL_TOO_LONG, length=len(text), limit=MAX_CELL_CHARS)
    return parse(text)


def clean_text(value: str) -> str:
    """The value, unless it holds a control character or a bidirectional override."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI:
            raise CellError(RowErrorCode.CONTROL_CHARACTER, char=f"U+{ord(char):04X}")
    return value


def required(value: str) -> str:
    value = value.strip()
    if not value:
        raise CellError(RowErrorCode.REQUIRED)
    return value


def keyword(value: str) -> str:
    """A header or a choice as compared: full-width folded, trimmed, casefolded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def parse_unit(value: str) -> tuple[str, ...]:
    """`Group/Company A` (or with a full-width slash) → ("Group", "Company A")."""
    parts = [part.strip() for part in _UNIT_SEPARATOR.split(required(value))]
    if len(parts) > MAX_UNIT_DEPTH:
        raise CellError(RowErrorCode.UNIT_TOO_DEEP, depth=len(parts), limit=MAX_UNIT_DEPTH)
    for position, part in enumerate(parts, start=1):
        if not part:
            raise CellError(RowErrorCode.UNIT_EMPTY_PART, position=position)
        if len(part) > MAX_UNIT_NAME:
            raise CellError(RowErrorCode.UNIT_NAME_TOO_LONG, position=position,
                            length=len(part), limit=MAX_UNIT_NAME)
        clean_text(part)
    return tuple(parts)


def parse_phone(value: str) -> str:
    try:
        return normalize_phone(required(value))
    except InvalidPhone as exc:
        raise CellError(RowErrorCode.PHONE_INVALID, reason=exc.reason,
                        region=exc.region or "") from None
