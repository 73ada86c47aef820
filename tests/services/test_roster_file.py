"""Roster files: formats and encodings, file-level problems, row errors with their lines."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.services.members.phones import PhoneError
from bot.services.roster import file as roster_file
from bot.services.roster.file import (
    MAX_CELL_CHARS,
    MAX_ROSTER_BYTES,
    Column,
    FileProblemCode,
    RosterFormat,
    RosterRole,
    RosterRow,
    RowError,
    RowErrorCode,
    read_roster,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
HEADER = ["unit", "name", "phone", "role", "household", "digest"]
GOOD = ["集团/一公司", "张三", "13800138000", "leader", "配偶:李四", "yes"]
GOOD_ROW = RosterRow(line=2, unit_path=("集团", "一公司"), name="张三", phone="+8613800138000",
                     role=RosterRole.LEADER, household=(("配偶", "李四"),), digest=True)


def to_csv(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER,
           encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def to_xlsx(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def one_error(data: bytes, filename: str = "r.csv") -> RowError:
    result = read_roster(data, filename=filename)
    assert not result.problems
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def problem(data: bytes, filename: str = "r.csv") -> roster_file.FileProblem:
    result = read_roster(data, filename=filename)
    assert len(result.problems) == 1 and not result.rows
    return result.problems[0]


# --- samples ---------------------------------------------------------------------------------


def test_samples_parse_alike_without_errors() -> None:
    from_csv = read_roster((SAMPLES / "roster.csv").read_bytes(), filename="roster.csv")
    from_xlsx = read_roster((SAMPLES / "roster.xlsx").read_bytes(), filename="roster.xlsx")
    english = read_roster((SAMPLES / "roster_en.csv").read_bytes(), filename="roster_en.csv")
    for result in (from_csv, from_xlsx, english):
        assert result.ok and result.errors == [] and result.problems == []
    assert (from_csv.format, from_xlsx.format) == (RosterFormat.CSV, RosterFormat.XLSX)
    assert from_csv.rows == from_xlsx.rows
    rows = from_csv.rows
    assert 18 <= len(rows) <= 25 and len(english.rows) == len(rows)
    units = {row.unit_path for row in rows}
    assert {path[:1] for path in units} == {("安和集团",)}
    assert len({p[:2] for p in units if len(p) >= 2}) == 2
    assert len({p[:3] for p in units if len(p) >= 3}) == 4
    assert any(len(p) == 4 for p in units)
    leaders = {row.unit_path for row in rows if row.role is RosterRole.LEADER}
    assert leaders == units
    assert [row.role for row in rows].count(RosterRole.ADMIN) == 1
    assert all(row.digest for row in rows if row.role is RosterRole.LEADER)
    assert any(row.digest and row.role is RosterRole.MEMBER for row in rows)
    assert sum(bool(row.household) for row in rows) > len(rows) // 2
    assert [row.line for row in rows] == list(range(2, len(rows) + 2))


# --- accepted forms --------------------------------------------------------------------------


def test_good_row_in_csv_and_xlsx() -> None:
    assert read_roster(to_csv([GOOD]), filename="r.csv").rows == [GOOD_ROW]
    assert read_roster(to_xlsx([GOOD]), filename="r.xlsx").rows == [GOOD_ROW]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings(encoding: str) -> None:
    result = read_roster(to_csv([GOOD], encoding=encoding), filename="r.csv")
    assert result.rows == [GOOD_ROW] and result.ok


def test_damaged_utf8_is_not_read_as_gbk_nonsense() -> None:
    data = to_csv([GOOD, ["集团", "李四", "13800138001"]])
    damaged = data[: data.rindex("李".encode())] + b"\xff" + data[data.rindex("李".encode()) + 1:]
    found = problem(damaged)
    assert (found.code, dict(found.params)) == (
        FileProblemCode.UNDECODABLE, {"encoding": "utf-8", "line": 3})


def test_format_comes_from_content_not_extension() -> None:
    assert read_roster(to_xlsx([GOOD]), filename="roster.csv").rows == [GOOD_ROW]
    assert read_roster(to_csv([GOOD]), filename="roster.xlsx").rows == [GOOD_ROW]
    assert read_roster(to_csv([GOOD]), filename="roster").rows == [GOOD_ROW]


def test_headers_are_trimmed_case_insensitive_in_any_order_and_chinese() -> None:
    header = ["  PHONE ", "Name", "单位", "接收日报", "家属", "角色"]
    row = [GOOD[2], GOOD[1], GOOD[0], GOOD[5], GOOD[4], GOOD[3]]
    assert read_roster(to_csv([row], header=header), filename="r.csv").rows == [GOOD_ROW]


def test_optional_columns_may_be_absent() -> None:
    result = read_roster(to_csv([GOOD[:3]], header=HEADER[:3]), filename="r.csv")
    assert result.rows == [RosterRow(2, ("集团", "一公司"), "张三", "+8613800138000")]


def test_tab_separated() -> None:
    data = "\t".join(HEADER) + "\n" + "\t".join(GOOD) + "\n"
    assert read_roster(data.encode(), filename="r.txt").rows == [GOOD_ROW]


@pytest.mark.parametrize(
    ("text", "role"),
    [("", RosterRole.MEMBER), ("member", RosterRole.MEMBER), ("成员", RosterRole.MEMBER),
     (" Leader ", RosterRole.LEADER), ("负责人", RosterRole.LEADER), ("ADMIN", RosterRole.ADMIN),
     ("管理员", RosterRole.ADMIN)],
)
def test_roles(text: str, role: RosterRole) -> None:
    result = read_roster(to_csv([[*GOOD[:3], text, "", ""]]), filename="r.csv")
    assert result.rows[0].role is role


@pytest.mark.parametrize(
    ("text", "digest"),
    [("", False), ("yes", True), ("Y", True), ("true", True), ("1", True), ("是", True),
     ("no", False), ("n", False), ("FALSE", False), ("0", False), ("否", False)],
)
def test_digest_values(text: str, digest: bool) -> None:
    result = read_roster(to_csv([[*GOOD[:5], text]]), filename="r.csv")
    assert result.rows[0].digest is digest


@pytest.mark.parametrize(
    ("text", "household"),
    [("", ()), ("配偶:李四", (("配偶", "李四"),)),
     ("配偶：李四；儿子:张小三", (("配偶", "李四"), ("儿子", "张小三"))),
     (" spouse : Li Na ; child:Wang Bo ;", (("spouse", "Li Na"), ("child", "Wang Bo")))],
)
def test_household_forms(text: str, household: tuple[tuple[str, str], ...]) -> None:
    result = read_roster(to_csv([[*GOOD[:4], text, ""]]), filename="r.csv")
    assert result.rows[0].household == household


@pytest.mark.parametrize("unit", ["集团/一公司", " 集团 / 一公司 ", "集团／一公司"])
def test_unit_paths(unit: str) -> None:
    result = read_roster(to_csv([[unit, *GOOD[1:]]]), filename="r.csv")
    assert result.rows[0].unit_path == ("集团", "一公司")


def test_blank_lines_are_skipped_and_lines_are_as_in_the_file() -> None:
    data = (",".join(HEADER) + "\n\n" + ",".join(GOOD) + '\n,,,,,\n"集团",李四,\n"x\ny",王五,'
            "13800138001\n集团,赵六,13800138002\n").encode()
    result = read_roster(data, filename="r.csv")
    assert [row.line for row in result.rows] == [3, 8]
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (5, Column.PHONE, RowErrorCode.REQUIRED),
        (6, Column.UNIT, RowErrorCode.CONTROL_CHARACTER),  # the quoted cell starts on line 6
    ]


def test_xlsx_cells_of_other_types_and_blank_rows() -> None:
    data = to_xlsx([[], ["集团", "张三", 13800138000, None, None, True],
                    ["集团", "李四", 13800138001.0, "", "", 0], [None] * 6])
    result = read_roster(data, filename="r.xlsx")
    assert result.ok
    assert [(r.line, r.phone, r.digest) for r in result.rows] == [
        (3, "+8613800138000", True), (4, "+8613800138001", False)]


def test_xlsx_with_wrong_stored_dimensions_is_read_whole() -> None:
    data = to_xlsx([GOOD, ["集团", "李四", "13800138001"]])
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"',
                                         content)
                assert count == 1
            new.writestr(item, content)
    assert len(read_roster(target.getvalue(), filename="r.xlsx").rows) == 2


def test_rows_keep_file_order() -> None:
    rows = [["集团", f"人{i}", f"138001380{i:02d}"] for i in range(30, 0, -1)]
    result = read_roster(to_csv(rows, header=HEADER[:3]), filename="r.csv")
    assert [row.name for row in result.rows] == [f"人{i}" for i in range(30, 0, -1)]


# --- file-level problems ---------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "code", "params"),
    [
        (b"", "r.csv", FileProblemCode.EMPTY, {}),
        (b" \r\n\n\t", "r.csv", FileProblemCode.EMPTY, {}),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "r.csv", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "png", "extension": "csv"}),
        (b"\xff\xd8\xff\xe0" + bytes(100), "photo.CSV", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "jpeg", "extension": "csv"}),
        (b"%PDF-1.7\n%\xe2\xe3", "r.csv", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "pdf", "extension": "csv"}),
        (b"\x00\x00\x00\x18ftypheic" + bytes(50), "r.csv", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "media", "extension": "csv"}),
        (b"unit,name\x00", "r", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "binary", "extension": ""}),
        (_zip({"a.txt": b"hello"}), "r.xlsx", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "zip", "extension": "xlsx"}),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "r.ods",
         FileProblemCode.UNSUPPORTED_FORMAT, {"detected": "ods", "extension": "ods"}),
        (_zip({"word/document.xml": b"<w/>"}), "r.xlsx", FileProblemCode.UNSUPPORTED_FORMAT,
         {"detected": "docx", "extension": "xlsx"}),
        (_zip({"xl/workbook.xml": b"not xml"}), "r.xlsx", FileProblemCode.BAD_XLSX, {}),
        (b"PK\x03\x04 truncated", "r.xlsx", FileProblemCode.BAD_XLSX, {}),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "r.xls",
         FileProblemCode.LEGACY_EXCEL, {}),
        ("unit,name,phone\n".encode("utf-16"), "r.csv", FileProblemCode.UNDECODABLE,
         {"encoding": "utf-16", "line": 1}),
        (b"unit,name,phone\n\x81\x30\xff,x,y\n", "r.csv", FileProblemCode.UNDECODABLE,
         {"encoding": "gb18030", "line": 2}),
        (b"\xef\xbb\xbfunit,name,phone\n\xff\xfe,x,y\n", "r.csv", FileProblemCode.UNDECODABLE,
         {"encoding": "utf-8", "line": 2}),
        (b"unit,name,phone\n", "r.csv", FileProblemCode.NO_ROWS, {}),
        (b"unit,name,phone\n\n,,\n", "r.csv", FileProblemCode.NO_ROWS, {}),
        (b"unit,name,phone\nA,B,13800138000\nA,\"unterminated,1\n", "r.csv",
         FileProblemCode.MALFORMED_CSV, {"line": 3}),
        (b"Unit,Nmae,tel,role\nA,B,1\n", "r.csv", FileProblemCode.MISSING_COLUMNS,
         {"missing": ("name", "phone"), "unknown": ("Nmae", "tel")}),
        (b"unit;name;phone\nA;B;1\n", "r.csv", FileProblemCode.MISSING_COLUMNS,
         {"missing": ("unit", "name", "phone"), "unknown": ("unit;name;phone",)}),
        (b"unit,name,phone,hosehold\nA,B,1,x\n", "r.csv", FileProblemCode.UNKNOWN_COLUMNS,
         {"unknown": ("hosehold",)}),
        ("unit,name,phone,电话\nA,B,1,2\n".encode(), "r.csv",
         FileProblemCode.DUPLICATE_COLUMNS, {"columns": ("phone",)}),
    ],
)
def test_file_problems(data: bytes, filename: str, code: FileProblemCode,
                       params: dict[str, object]) -> None:
    found = problem(data, filename)
    assert (found.code, dict(found.params)) == (code, params)


def test_xlsx_without_header_is_empty() -> None:
    assert problem(to_xlsx([], header=[]), "r.xlsx").code is FileProblemCode.EMPTY


def test_xlsx_whose_first_row_is_data_not_a_header() -> None:
    found = problem(to_xlsx([GOOD], header=GOOD), "r.xlsx")
    assert found.code is FileProblemCode.MISSING_COLUMNS
    assert found.params["missing"] == ("unit", "name", "phone")


def test_a_10_mb_file_is_refused_whatever_it_holds() -> None:
    row = ",".join(GOOD).encode() + b"\n"
    data = to_csv([]) + row * (10 * 1024 * 1024 // len(row))
    started = time.perf_counter()
    found = problem(data)
    assert time.perf_counter() - started < 0.5
    assert found.code is FileProblemCode.TOO_LARGE and found.params["size"] == len(data)


def test_too_large_is_refused_before_reading() -> None:
    data = b"x" * (MAX_ROSTER_BYTES + 1)
    started = time.perf_counter()
    found = problem(data)
    assert time.perf_counter() - started < 0.1
    assert (found.code, dict(found.params)) == (
        FileProblemCode.TOO_LARGE, {"size": MAX_ROSTER_BYTES + 1, "limit": MAX_ROSTER_BYTES})


def test_xlsx_that_inflates_too_far_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_file, "MAX_XLSX_UNCOMPRESSED", 1000)
    assert problem(to_xlsx([GOOD]), "r.xlsx").code is FileProblemCode.TOO_LARGE


@pytest.mark.parametrize("make", [to_csv, to_xlsx])
def test_too_many_rows(monkeypatch: pytest.MonkeyPatch, make: object) -> None:
    monkeypatch.setattr(roster_file, "MAX_ROSTER_ROWS", 3)
    rows = [["集团", f"人{i}", f"1380013800{i}"] for i in range(4)]
    assert callable(make)
    data = make(rows, HEADER[:3])
    found = problem(data)
    assert (found.code, dict(found.params)) == (FileProblemCode.TOO_MANY_ROWS, {"limit": 3})
    assert read_roster(make(rows[:3], HEADER[:3]), filename="r").ok


def test_a_problem_leaves_no_rows_to_import() -> None:
    data = to_csv([GOOD]) + b'A,"unterminated\n'
    result = read_roster(data, filename="r.csv")
    assert result.rows == [] and [p.code for p in result.problems] == [
        FileProblemCode.MALFORMED_CSV]


# --- row errors ------------------------------------------------------------------------------

LONG = "长" * (MAX_CELL_CHARS + 1)


ROW_DEFECTS: list[tuple[Column, str, RowErrorCode, dict[str, object]]] = [
    (Column.UNIT, "", RowErrorCode.REQUIRED, {}),
    (Column.UNIT, "集团//一公司", RowErrorCode.UNIT_EMPTY_PART, {"position": 2}),
    (Column.UNIT, "集团/", RowErrorCode.UNIT_EMPTY_PART, {"position": 2}),
    (Column.UNIT, "/".join("ABCDEFGHI"), RowErrorCode.UNIT_TOO_DEEP,
     {"depth": 9, "limit": 8}),
    (Column.UNIT, "集团/" + "x" * 65, RowErrorCode.UNIT_NAME_TOO_LONG,
     {"position": 2, "length": 65, "limit": 64}),
    (Column.UNIT, "集\t团", RowErrorCode.CONTROL_CHARACTER, {"char": "U+0009"}),
    (Column.UNIT, LONG, RowErrorCode.CELL_TOO_LONG, {"length": 257, "limit": 256}),
    (Column.NAME, "  ", RowErrorCode.REQUIRED, {}),
    (Column.NAME, "王" * 65, RowErrorCode.NAME_TOO_LONG, {"length": 65, "limit": 64}),
    (Column.NAME, "张\x07三", RowErrorCode.CONTROL_CHARACTER, {"char": "U+0007"}),
    (Column.NAME, "张\u202e三", RowErrorCode.CONTROL_CHARACTER, {"char": "U+202E"}),
    (Column.PHONE, "", RowErrorCode.REQUIRED, {}),
    (Column.PHONE, "abc", RowErrorCode.PHONE_INVALID,
     {"reason": PhoneError.NOT_A_NUMBER, "region": ""}),
    (Column.PHONE, "12345678901", RowErrorCode.PHONE_INVALID,
     {"reason": PhoneError.INVALID_FOR_REGION, "region": "CN"}),
    (Column.ROLE, "boss", RowErrorCode.ROLE_UNKNOWN, {"value": "boss"}),
    (Column.DIGEST, "maybe", RowErrorCode.DIGEST_UNKNOWN, {"value": "maybe"}),
    (Column.HOUSEHOLD, "配偶", RowErrorCode.HOUSEHOLD_MALFORMED, {"entry": "配偶"}),
    (Column.HOUSEHOLD, "配偶:李四:王五", RowErrorCode.HOUSEHOLD_MALFORMED,
     {"entry": "配偶:李四:王五"}),
    (Column.HOUSEHOLD, ":李四", RowErrorCode.HOUSEHOLD_RELATION_EMPTY, {"entry": ":李四"}),
    (Column.HOUSEHOLD, "配偶：", RowErrorCode.HOUSEHOLD_NAME_EMPTY, {"entry": "配偶："}),
    (Column.HOUSEHOLD, "r" * 33 + ":李四", RowErrorCode.HOUSEHOLD_RELATION_TOO_LONG,
     {"entry": "r" * 33 + ":李四", "length": 33, "limit": 32}),
    (Column.HOUSEHOLD, "配偶:" + "n" * 65, RowErrorCode.HOUSEHOLD_NAME_TOO_LONG,
     {"entry": "配偶:" + "n" * 65, "length": 65, "limit": 64}),
    (Column.HOUSEHOLD, ";".join(f"子:{i}" for i in range(11)),
     RowErrorCode.HOUSEHOLD_TOO_MANY, {"count": 11, "limit": 10}),
    (Column.HOUSEHOLD, "配偶:李四；配偶：李四", RowErrorCode.HOUSEHOLD_DUPLICATE,
     {"entry": "配偶：李四"}),
    (Column.HOUSEHOLD, "child:Li Na;Child:li na", RowErrorCode.HOUSEHOLD_DUPLICATE,
     {"entry": "Child:li na"}),
    (Column.HOUSEHOLD, "配偶:李\n四", RowErrorCode.CONTROL_CHARACTER, {"char": "U+000A"}),

]


def _row_error_cases() -> list[tuple[str, Column, str, RowErrorCode, dict[str, object]]]:
    # XML 1.0 cannot carry most control characters, so an XLSX cannot contain them.
    return [(kind, *defect) for kind in ("csv", "xlsx") for defect in ROW_DEFECTS
            if kind == "csv" or not ILLEGAL_CHARACTERS_RE.search(defect[1])]


@pytest.mark.parametrize(("make", "column", "value", "code", "params"), _row_error_cases())
def test_row_errors(make: str, column: Column, value: str, code: RowErrorCode,
                    params: dict[str, object]) -> None:
    bad = list(GOOD)
    bad[HEADER.index(column.value)] = value
    ok = ["集团", "李四", "13800138001"]
    data = to_csv([bad, ok]) if make == "csv" else to_xlsx([bad, ok])
    result = read_roster(data, filename="r")
    assert result.errors == [RowError(2, column, code, params)]
    assert [row.name for row in result.rows] == ["李四"]


def test_unexpected_cell_beyond_the_header() -> None:
    error = one_error(to_csv([[*GOOD, "extra"]]))
    assert (error.line, error.column, error.code, dict(error.params)) == (
        2, None, RowErrorCode.UNEXPECTED_CELL, {"position": 7})


def test_every_wrong_cell_of_a_row_is_reported() -> None:
    result = read_roster(to_csv([["", "", "x", "boss", "y", "maybe"]]), filename="r.csv")
    assert [(e.column, e.code) for e in result.errors] == [
        (Column.UNIT, RowErrorCode.REQUIRED), (Column.NAME, RowErrorCode.REQUIRED),
        (Column.PHONE, RowErrorCode.PHONE_INVALID), (Column.ROLE, RowErrorCode.ROLE_UNKNOWN),
        (Column.HOUSEHOLD, RowErrorCode.HOUSEHOLD_MALFORMED),
        (Column.DIGEST, RowErrorCode.DIGEST_UNKNOWN)]


def test_duplicate_phone_names_the_first_line_even_in_another_format() -> None:
    rows = [GOOD, ["集团", "李四", "+86 138-0013-8000"], ["集团", "王五", "8613800138000"],
            ["集团", "赵六", "13800138001"]]
    result = read_roster(to_csv(rows), filename="r.csv")
    assert [(e.line, e.code, dict(e.params)) for e in result.errors] == [
        (3, RowErrorCode.PHONE_DUPLICATE, {"phone": "+8613800138000", "first_line": 2}),
        (4, RowErrorCode.PHONE_DUPLICATE, {"phone": "+8613800138000", "first_line": 2})]
    assert [row.line for row in result.rows] == [2, 5]


def test_first_line_owns_its_phone_even_when_it_has_other_errors() -> None:
    rows = [["集团", "", "13800138000"], ["集团", "李四", "13800138000"]]
    result = read_roster(to_csv(rows), filename="r.csv")
    assert [(e.line, e.code) for e in result.errors] == [
        (2, RowErrorCode.REQUIRED), (3, RowErrorCode.PHONE_DUPLICATE)]
    assert result.rows == []


def test_errors_do_not_stop_later_rows() -> None:
    rows = [["集团", f"人{i}", "bad" if i % 2 else f"138001380{i:02d}"] for i in range(20)]
    result = read_roster(to_csv(rows), filename="r.csv")
    assert [e.line for e in result.errors] == list(range(3, 22, 2))
    assert [r.line for r in result.rows] == list(range(2, 22, 2))
    assert not result.ok


# --- properties ------------------------------------------------------------------------------

_NAME_CHARS = "张王李赵刘陈杨黄周吴一二三公司支部网格ABCxyz019 ,\"'-·()"
_PREFIXES = ["138", "139", "150", "151", "152", "158", "159", "186", "187", "188"]
_ROLE_TEXT = {RosterRole.MEMBER: ["", "member", "成员", "Member"],
              RosterRole.LEADER: ["leader", "负责人", "LEADER"],
              RosterRole.ADMIN: ["admin", "管理员"]}
_DIGEST_TEXT = {True: ["yes", "y", "true", "1", "是", "YES"],
                False: ["", "no", "n", "false", "0", "否"]}


def _texts(max_size: int, extra_excluded: str = "") -> st.SearchStrategy[str]:
    alphabet = "".join(c for c in _NAME_CHARS if c not in extra_excluded)
    return st.text(alphabet, min_size=1, max_size=max_size).map(str.strip).filter(bool)


@st.composite
def rosters(draw: st.DrawFn) -> tuple[list[list[str]], list[RosterRow]]:
    """Rows as cells a person could type, and the rows they must parse to."""
    count = draw(st.integers(min_value=1, max_value=8))
    numbers = draw(st.lists(st.tuples(st.sampled_from(_PREFIXES),
                                      st.integers(min_value=0, max_value=99_999_999)),
                            min_size=count, max_size=count, unique=True))
    cells: list[list[str]] = []
    expected: list[RosterRow] = []
    for index, (prefix, rest) in enumerate(numbers):
        unit = tuple(draw(st.lists(_texts(12, "/"), min_size=1, max_size=4)))
        name = draw(_texts(20))
        mobile = f"{prefix}{rest:08d}"
        phone = draw(st.sampled_from([mobile, f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
                                      f"86{mobile}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"]))
        role = draw(st.sampled_from(list(RosterRole)))
        household = tuple(draw(st.lists(
            st.tuples(_texts(8, ":;"), _texts(12, ":;")), max_size=3,
            unique_by=lambda pair: (pair[0].casefold(), pair[1].casefold()))))
        digest = draw(st.booleans())
        cells.append([
            draw(st.sampled_from(["/", " / "])).join(unit),
            draw(st.sampled_from(["{}", " {} "])).format(name),
            phone,
            draw(st.sampled_from(_ROLE_TEXT[role])),
            draw(st.sampled_from([";", "；", "; "])).join(
                draw(st.sampled_from([":", "："])).join(pair) for pair in household),
            draw(st.sampled_from(_DIGEST_TEXT[digest])),
        ])
        expected.append(RosterRow(index + 2, unit, name, f"+86{mobile}", role, household,
                                  digest))
    return cells, expected


def _also_utf8(data: bytes) -> bool:
    """GBK bytes that are valid UTF-8 as well: a roster whose only Chinese is, say, 司
    (CB BE, also UTF-8 for ˾) cannot be told from a UTF-8 file, and is read as one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


@settings(max_examples=40, deadline=None)
@given(rosters())
def test_generated_rosters_round_trip_through_csv_and_xlsx(
    roster: tuple[list[list[str]], list[RosterRow]],
) -> None:
    cells, expected = roster
    files = [to_csv(cells), to_xlsx(cells)]
    gbk = to_csv(cells, encoding="gb18030")
    if not _also_utf8(gbk):
        files.append(gbk)
    for data in files:
        result = read_roster(data, filename="roster")
        assert result.problems == [] and result.errors == []
        assert result.rows == expected


# Each defect: the column, a bad value, and the error code it must produce.
_DEFECTS = [
    (Column.UNIT, "集团//一公司", RowErrorCode.UNIT_EMPTY_PART),
    (Column.UNIT, "", RowErrorCode.REQUIRED),
    (Column.NAME, "", RowErrorCode.REQUIRED),
    (Column.NAME, "名" * (MAX_CELL_CHARS + 1), RowErrorCode.CELL_TOO_LONG),
    (Column.PHONE, "138001380", RowErrorCode.PHONE_INVALID),
    (Column.ROLE, "chief", RowErrorCode.ROLE_UNKNOWN),
    (Column.HOUSEHOLD, "spouse", RowErrorCode.HOUSEHOLD_MALFORMED),
    (Column.HOUSEHOLD, "a:b;a:b", RowErrorCode.HOUSEHOLD_DUPLICATE),
    (Column.DIGEST, "sometimes", RowErrorCode.DIGEST_UNKNOWN),
]


@settings(max_examples=40, deadline=None)
@given(rosters(), st.data())
def test_an_injected_defect_gives_exactly_its_error_and_drops_only_its_row(
    roster: tuple[list[list[str]], list[RosterRow]], data: st.DataObject,
) -> None:
    cells, expected = roster
    index = data.draw(st.integers(min_value=0, max_value=len(cells) - 1))
    column, value, code = data.draw(st.sampled_from(_DEFECTS))
    cells[index][HEADER.index(column.value)] = value
    make = data.draw(st.sampled_from([to_csv, to_xlsx]))
    result = read_roster(make(cells), filename="roster")
    assert [(e.line, e.column, e.code) for e in result.errors] == [(index + 2, column, code)]
    assert result.rows == expected[:index] + expected[index + 1:]


@settings(max_examples=40, deadline=None)
@given(rosters(), st.data())
def test_a_repeated_phone_is_reported_on_the_later_line(
    roster: tuple[list[list[str]], list[RosterRow]], data: st.DataObject,
) -> None:
    cells, expected = roster
    assume(len(cells) >= 2)
    first, later = sorted(data.draw(st.lists(st.integers(0, len(cells) - 1), min_size=2,
                                             max_size=2, unique=True)))
    cells[later][2] = cells[first][2]
    result = read_roster(to_csv(cells), filename="roster.csv")
    assert result.errors == [RowError(later + 2, Column.PHONE, RowErrorCode.PHONE_DUPLICATE,
                                      {"phone": expected[first].phone, "first_line": first + 2})]
    assert result.rows == expected[:later] + expected[later + 1:]


def _check_result(result: roster_file.RosterParseResult) -> None:
    if result.problems:
        assert len(result.problems) == 1 and result.rows == []
    lines = [row.line for row in result.rows]
    assert lines == sorted(set(lines))
    assert not {e.line for e in result.errors} & set(lines)


@settings(max_examples=150)
@given(st.binary(max_size=300), st.sampled_from(["r.csv", "r.xlsx", "r"]))
def test_arbitrary_bytes_never_raise(data: bytes, filename: str) -> None:
    _check_result(read_roster(data, filename=filename))


@settings(max_examples=150)
@given(st.text(st.characters(codec="utf-8"), max_size=300))
def test_arbitrary_text_under_a_header_never_raises(body: str) -> None:
    data = (",".join(HEADER) + "\n" + body).encode()
    _check_result(read_roster(data, filename="r.csv"))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0))
def test_damaged_xlsx_never_raises(noise: bytes, at: int) -> None:
    data = bytearray(to_xlsx([GOOD]))
    start = at % len(data)
    data[start:start + len(noise)] = noise
    _check_result(read_roster(bytes(data), filename="r.xlsx"))
