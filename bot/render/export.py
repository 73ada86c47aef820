"""The export a leader files: the XLSX (a sheet of rows, one per member per day, and a sheet
of each unit's figures per day) and the same rows as CSV.

Written one day at a time in openpyxl's write-only mode (rows go to a temporary file), so a
big export holds one day in memory. Widths, the frozen header and the number formats are
set before the first row, the filter's range when the sheet is done; dates are real dates
with an explicit format and a column wide enough, so Excel and WPS never show #####.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.i18n import _, colon, join_clauses, join_list, pgettext
from bot.render.reports import symptom_label, temperature_text
from bot.render.sheets import csv_bytes, write_only_value
from bot.services.reports.export import Attendance, ExportDay, ExportRow, HouseholdLine, UnitDay

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TEMPERATURE_FORMAT = "0.0"


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # in characters of the default font, before the header's own width
    number_format: str | None = None


def _columns() -> list[Column]:
    return [
        Column(_("Date"), 12, DATE_FORMAT),
        Column(_("Unit"), 30),
        Column(_("Member"), 12),
        Column(pgettext("export", "Report"), 10),
        Column(pgettext("export", "Member's condition"), 10),
        Column(_("Temperature (°C)"), 10, TEMPERATURE_FORMAT),
        Column(_("Symptoms"), 20),
        Column(_("Contact with a case"), 8),
        Column(_("Travel"), 8),
        Column(_("Isolation"), 8),
        Column(_("Note"), 36),
        Column(pgettext("export", "Household's condition"), 36),
        Column(_("Late"), 8),
        Column(_("Reported at"), 18, DATETIME_FORMAT),
        Column(_("Entered by"), 12),
    ]


def _summary_columns() -> list[Column]:
    return [
        Column(_("Date"), 12, DATE_FORMAT),
        Column(_("Unit"), 30),
        Column(pgettext("export", "Expected"), 8),
        Column(pgettext("export", "Reported"), 8),
        Column(pgettext("export", "Not reported"), 8),
        Column(pgettext("export", "Abnormal reports"), 8),
        Column(pgettext("export", "Late"), 8),
        Column(pgettext("export", "On leave or exempt"), 8),
        Column(pgettext("export", "Day off"), 8),
    ]


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a Chinese character is two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _yes(value: bool) -> str:
    return _("yes") if value else ""


def _attendance(value: Attendance) -> str:
    return {
        Attendance.REPORTED: pgettext("export", "reported"),
        Attendance.MISSING: pgettext("export", "not reported"),
        Attendance.LEAVE: pgettext("export", "on leave"),
        Attendance.EXEMPT: pgettext("export", "exempt"),
    }[value]


def _symptoms(keys: Sequence[str], *, skip_fever: bool = False) -> list[str]:
    return [symptom_label(k) for k in keys if not (skip_fever and k == "fever")]


def _health(h: HouseholdLine) -> str:
    parts = []
    if h.temperature is not None and h.unwell:
        value = temperature_text(h.temperature)
        parts.append(pgettext("symptom", "fever") + " " + value if h.fever else value)
    parts += _symptoms(h.symptoms, skip_fever=h.fever)
    health = join_list(parts) if parts else _("well")
    if h.note:  # what they wrote reaches the leader as written
        health += " " + _("“{note}”").format(note=h.note)
    return health


def household_text(row: ExportRow) -> str:
    """Who in the household is unwell and how ("spouse Li Na: fever 38.6 °C, cough"), and
    anyone's note; "all well" otherwise, nothing when there was no report or no household."""
    if row.attendance is not Attendance.REPORTED or not row.household:
        return ""
    told = [h for h in row.household if h.unwell or h.note]
    if not told:
        return pgettext("export", "all well")
    return join_clauses(
        colon(_("{relation} {name}").format(relation=h.relation, name=h.name), _health(h))
        for h in told)


def row_cells(r: ExportRow, timezone: str) -> list[Any]:
    reported = r.attendance is Attendance.REPORTED
    condition = ("" if not reported else _("abnormal") if r.abnormal else _("well"))
    return [r.day, r.unit, r.member, _attendance(r.attendance), condition,
            float(r.temperature) if r.temperature is not None else None,
            join_list(_symptoms(r.symptoms)), _yes(r.contact_case), _yes(r.travel),
            _yes(r.isolation), r.note, household_text(r), _yes(r.late),
            _local(r.reported_at, timezone) if r.reported_at else None, r.entered_by]


def summary_cells(u: UnitDay) -> list[Any]:
    return [u.day, u.unit, u.expected, u.reported, u.missing, u.abnormal, u.late, u.on_leave,
            _yes(u.day_off)]


def header() -> list[str]:
    return [c.header for c in _columns()]


def _local(moment: datetime, timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    # Excel has no time zones: the unit's wall-clock time, without an offset.
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


class _Sheet:
    """A write-only sheet: widths, a bold frozen header and the filter, rows as they come."""

    def __init__(self, sheet: WriteOnlyWorksheet, columns: list[Column], freeze: str) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheet, self.columns, self.rows = sheet, columns, 0
        self.last = get_column_letter(len(columns))
        for i, column in enumerate(columns, start=1):
            width = max(column.width, display_width(column.header) + 2)
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = freeze
        bold = Font(bold=True)
        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    def append(self, values: Sequence[Any]) -> None:
        # Names and notes people typed stay text, never a formula (render.sheets).
        self.sheet.append([write_only_value(self.sheet, value, column.number_format)
                           for column, value in zip(self.columns, values, strict=True)])
        self.rows += 1

    def close(self) -> None:
        self.sheet.auto_filter.ref = f"A1:{self.last}{self.rows + 1}"


class ExportBook:
    """The workbook, written day by day: `add` each day, then `finish` for the bytes."""

    def __init__(self, timezone: str) -> None:
        from openpyxl import Workbook  # only when exporting: not resident in every process

        self.timezone = timezone
        self.book = Workbook(write_only=True)
        self.reports = _Sheet(self.book.create_sheet(_("Reports")), _columns(), "D2")
        self.summary = _Sheet(self.book.create_sheet(pgettext("export", "Daily figures")),
                              _summary_columns(), "C2")

    @property
    def rows(self) -> int:
        return self.reports.rows

    def add(self, day: ExportDay) -> None:
        for row in day.rows:
            self.reports.append(row_cells(row, self.timezone))
        for unit in day.units:
            self.summary.append(summary_cells(unit))
        if len(day.units) > 1:
            self.summary.append(summary_cells(_total(day)))

    def discard(self) -> None:
        """Close an unfinished book's sheets: a write-only sheet left open writes its closing
        tags into an already closed temporary file when it is collected (an error at random)."""
        for sheet in self.book.worksheets:
            with contextlib.suppress(Exception):
                sheet.close()

    def finish(self) -> bytes:
        self.reports.close()
        self.summary.close()
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def _total(day: ExportDay) -> UnitDay:
    units = day.units
    return UnitDay(day.day, pgettext("export", "Total"), all(u.day_off for u in units),
                   sum(u.expected for u in units), sum(u.reported for u in units),
                   sum(u.abnormal for u in units), sum(u.late for u in units),
                   sum(u.on_leave for u in units))


async def export_workbook(days: AsyncIterator[ExportDay], timezone: str) -> tuple[bytes, int]:
    """The XLSX of the days as they come, and its number of rows; the writing happens off
    the event loop (the locale goes along with the context)."""
    import asyncio

    book = await asyncio.to_thread(ExportBook, timezone)
    try:
        async for day in days:
            await asyncio.to_thread(book.add, day)
        return await asyncio.to_thread(book.finish), book.rows
    except BaseException:  # a failed or cancelled export leaves no half-written sheet behind
        book.discard()
        raise


async def export_csv(days: AsyncIterator[ExportDay], timezone: str) -> tuple[bytes, int]:
    """The rows as CSV, UTF-8 with a BOM (Excel then reads the Chinese right); a field that
    would start a formula is neutralised (render.sheets)."""
    lines: list[list[Any]] = [header()]
    async for day in days:
        lines.extend(_csv_cells(row, timezone) for row in day.rows)
    return csv_bytes(iter(lines)), len(lines) - 1


def _csv_cells(row: ExportRow, timezone: str) -> list[Any]:
    cells = row_cells(row, timezone)
    cells[0] = row.day.isoformat()
    if isinstance(cells[13], datetime):
        cells[13] = cells[13].isoformat(sep=" ", timespec="minutes")
    return cells

