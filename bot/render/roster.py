"""Roster files in words: what is wrong with a file or a row, and what an import did.

Plain text (the CLI prints it); escape it before sending it with parse_mode HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import _, fmt_number, join_list, join_sentences, ngettext, pgettext
from bot.services.members.phones import PhoneError
from bot.services.roster.apply import ChangeKind, Field, ImportSummary, MemberChange
from bot.services.roster.file import (
    Column,
    FileProblem,
    FileProblemCode,
    Param,
    RowError,
    RowErrorCode,
)


def column_label(column: Column) -> str:
    labels = {
        Column.UNIT: pgettext("roster column", "unit"),
        Column.NAME: pgettext("roster column", "name"),
        Column.PHONE: pgettext("roster column", "phone"),
        Column.ROLE: pgettext("roster column", "role"),
        Column.HOUSEHOLD: pgettext("roster column", "household"),
        Column.DIGEST: pgettext("roster column", "digest"),
    }
    return labels[column]


def _list(value: Param) -> str:
    items = value if isinstance(value, tuple) else (str(value),)
    return join_list(f"“{item}”" for item in items)


def _int(value: Param) -> int:
    return value if isinstance(value, int) else 0


def _megabytes(size: Param) -> str:
    return fmt_number(round(_int(size) / (1024 * 1024), 1))


def describe_problem(problem: FileProblem) -> str:
    """Why a file as a whole cannot be read as a roster."""
    p: Mapping[str, Param] = problem.params
    code = problem.code
    if code is FileProblemCode.TOO_LARGE:
        return _("The file is too large ({size} MB; at most {limit} MB).").format(
            size=_megabytes(p.get("size", 0)), limit=_megabytes(p.get("limit", 0)))
    if code is FileProblemCode.EMPTY:
        return _("The file is empty.")
    if code is FileProblemCode.NO_ROWS:
        return _("The file has a header row but no members under it.")
    if code is FileProblemCode.UNSUPPORTED_FORMAT:
        return _("This is not a roster: it looks like a {kind} file. Send a CSV file or an "
                 "Excel workbook (.xlsx).").format(kind=str(p.get("detected", "?")).upper())
    if code is FileProblemCode.LEGACY_EXCEL:
        return _("This is an old-style Excel file (.xls) or a password-protected workbook. "
                 "Save it as .xlsx (without a password) or as CSV and try again.")
    if code is FileProblemCode.UNDECODABLE:
        return _("Line {line}: the text is not in a supported encoding. Save the file as "
                 "CSV UTF-8.").format(line=p.get("line", "?"))
    if code is FileProblemCode.BAD_XLSX:
        return _("The Excel file is damaged or not a workbook this program can read.")
    if code is FileProblemCode.MALFORMED_CSV:
        return _("Line {line}: the CSV is malformed (for example a quote that is never "
                 "closed).").format(line=p.get("line", "?"))
    if code is FileProblemCode.MISSING_COLUMNS:
        text = _("Required columns are missing: {missing}.").format(
            missing=_list(p.get("missing", ())))
        if p.get("unknown"):
            text = join_sentences([text, _("Columns not recognised: {unknown}.").format(
                unknown=_list(p.get("unknown", ())))])
        return text
    if code is FileProblemCode.UNKNOWN_COLUMNS:
        return _("Columns not recognised: {unknown}. The columns are unit, name, phone, role, "
                 "household and digest.").format(unknown=_list(p.get("unknown", ())))
    if code is FileProblemCode.DUPLICATE_COLUMNS:
        return _("Columns appear more than once: {columns}.").format(
            columns=_list(p.get("columns", ())))
    if code is FileProblemCode.TOO_MANY_ROWS:
        return _("The file has more than {limit} rows.").format(
            limit=fmt_number(_int(p.get("limit", 0))))
    return _("The file cannot be read as a roster.")


def phone_reason(reason: Param) -> str:
    texts = {
        PhoneError.EMPTY: _("the number is empty"),
        PhoneError.INPUT_TOO_LONG: _("far too long to be a phone number"),
        PhoneError.NOT_A_NUMBER: _("not a phone number"),
        PhoneError.INVALID_COUNTRY_CODE: _("unknown country code"),
        PhoneError.TOO_SHORT: _("too short"),
        PhoneError.TOO_LONG: _("too long"),
        PhoneError.NEEDS_AREA_CODE: _("a landline number needs its area code"),
        PhoneError.INVALID_FOR_REGION: _("no such number"),
    }
    try:
        return texts[PhoneError(str(reason))]
    except ValueError:
        return _("not a phone number")


def row_reason(error: RowError) -> str:
    p = error.params
    code = error.code
    if code is RowErrorCode.REQUIRED:
        return _("this cell is required")
    if code is RowErrorCode.CELL_TOO_LONG:
        return _("the cell is too long ({length} characters; at most {limit})").format(
            length=p.get("length"), limit=p.get("limit"))
    if code is RowErrorCode.CONTROL_CHARACTER:
        return _("contains an invisible control character ({char})").format(char=p.get("char"))
    if code is RowErrorCode.UNEXPECTED_CELL:
        return _("a value in column {position}, which has no header").format(
            position=p.get("position"))
    if code is RowErrorCode.UNIT_EMPTY_PART:
        return _("part {position} of the unit path is empty (e.g. “A//B”)").format(
            position=p.get("position"))
    if code is RowErrorCode.UNIT_NAME_TOO_LONG:
        return _("part {position} of the unit path is too long ({length} characters; at most "
                 "{limit})").format(position=p.get("position"), length=p.get("length"),
                                    limit=p.get("limit"))
    if code is RowErrorCode.UNIT_TOO_DEEP:
        return _("the unit path has {depth} levels; at most {limit}").format(
            depth=p.get("depth"), limit=p.get("limit"))
    if code is RowErrorCode.NAME_TOO_LONG:
        return _("the name is too long ({length} characters; at most {limit})").format(
            length=p.get("length"), limit=p.get("limit"))
    if code is RowErrorCode.PHONE_INVALID:
        return _("not a valid phone number: {reason}").format(
            reason=phone_reason(p.get("reason", "")))
    if code is RowErrorCode.PHONE_DUPLICATE:
        return _("the phone number {phone} is already on line {first_line}").format(
            phone=p.get("phone"), first_line=p.get("first_line"))
    if code is RowErrorCode.ROLE_UNKNOWN:
        return _("unknown role “{value}” (use member, leader or admin)").format(
            value=p.get("value"))
    if code is RowErrorCode.HOUSEHOLD_MALFORMED:
        return _("“{entry}” is not “relation:name”").format(entry=p.get("entry"))
    if code is RowErrorCode.HOUSEHOLD_RELATION_EMPTY:
        return _("“{entry}” has no relation before the colon").format(entry=p.get("entry"))
    if code is RowErrorCode.HOUSEHOLD_NAME_EMPTY:
        return _("“{entry}” has no name after the colon").format(entry=p.get("entry"))
    if code is RowErrorCode.HOUSEHOLD_RELATION_TOO_LONG:
        return _("the relation in “{entry}” is too long (at most {limit} characters)").format(
            entry=p.get("entry"), limit=p.get("limit"))
    if code is RowErrorCode.HOUSEHOLD_NAME_TOO_LONG:
        return _("the name in “{entry}” is too long (at most {limit} characters)").format(
            entry=p.get("entry"), limit=p.get("limit"))
    if code is RowErrorCode.HOUSEHOLD_TOO_MANY:
        return _("{count} household members; at most {limit}").format(
            count=p.get("count"), limit=p.get("limit"))
    if code is RowErrorCode.HOUSEHOLD_DUPLICATE:
        return _("“{entry}” is listed twice").format(entry=p.get("entry"))
    if code is RowErrorCode.DIGEST_UNKNOWN:
        return _("“{value}” is not yes or no").format(value=p.get("value"))
    return _("this row cannot be read")


def describe_row_error(error: RowError) -> str:
    """`Line 7, phone: not a valid phone number: too short`."""
    reason = row_reason(error)
    if error.column is None:
        return _("Line {line}: {reason}").format(line=error.line, reason=reason)
    return _("Line {line}, {column}: {reason}").format(
        line=error.line, column=column_label(error.column), reason=reason)


def field_label(field: Field) -> str:
    return {
        Field.NAME: pgettext("roster column", "name"),
        Field.UNIT: pgettext("roster column", "unit"),
        Field.ROLE: pgettext("roster column", "role"),
        Field.HOUSEHOLD: pgettext("roster column", "household"),
        Field.DIGEST: pgettext("roster column", "digest"),
    }[field]


def describe_change(change: MemberChange) -> str:
    where = "/".join(change.unit_path)  # as the file's unit column writes it
    if change.kind is ChangeKind.ADDED:
        return _("Line {line}: add {name} ({unit})").format(
            line=change.line, name=change.name, unit=where)
    if change.kind is ChangeKind.DEACTIVATED:
        return _("Deactivate {name} ({unit}): not in the file").format(
            name=change.name, unit=where)
    fields = join_list(field_label(f) for f in change.fields)
    if change.kind is ChangeKind.REACTIVATED:
        return _("Line {line}: reactivate {name} ({unit})").format(
            line=change.line, name=change.name, unit=where) + (
            " — " + fields if fields else "")
    return _("Line {line}: update {name} ({unit}): {fields}").format(
        line=change.line, name=change.name, unit=where, fields=fields)


def summary_lines(summary: ImportSummary, *, details: bool) -> list[str]:
    """What the import did (or would do), then the bad rows, then the verdict."""
    lines: list[str] = []
    if summary.problems:
        return [describe_problem(p) for p in summary.problems]
    if details:
        lines += [describe_change(c) for c in summary.changes]
    counts = _("added {added}, updated {updated}, reactivated {reactivated}, deactivated "
               "{deactivated}, unchanged {unchanged}; new units {units}, reporting chains "
               "changed {chains}").format(
        added=summary.added, updated=summary.updated, reactivated=summary.reactivated,
        deactivated=summary.deactivated, unchanged=summary.unchanged,
        units=summary.units_created, chains=summary.chains_changed)
    if summary.stopped or summary.dry_run:
        lines.append(_("Would be: {counts}").format(counts=counts))
    else:
        lines.append(_("Done: {counts}").format(counts=counts))
    if summary.kept_active:
        lines.append(ngettext(
            "{n} member missing from the good rows was kept active, since skipped rows may "
            "be theirs.",
            "{n} members missing from the good rows were kept active, since skipped rows may "
            "be theirs.", summary.kept_active).format(n=summary.kept_active))
    if summary.bad_rows:
        lines.append(ngettext("{n} bad row:", "{n} bad rows:", len(summary.bad_rows)).format(
            n=len(summary.bad_rows)))
        lines += ["  " + describe_row_error(e) for e in summary.bad_rows]
    if summary.stopped:
        lines.append(_("Nothing was changed: correct the rows above, or run again with "
                       "--skip-bad to import only the good rows."))
    elif summary.dry_run:
        lines.append(_("Dry run: nothing was changed."))
    elif summary.bad_rows:
        lines.append(_("The bad rows were skipped."))
    return lines
