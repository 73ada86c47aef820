"""Write samples/roster.xlsx from samples/roster.csv: `python samples/make_xlsx.py`.

Phones made only of digits are stored as numbers, as Excel does when someone types them, so
the sample also exercises reading numeric cells.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
# Fixed so that regenerating the file without changes gives the same content.
STAMP = datetime(2020, 2, 1)


def main() -> None:
    with (HERE / "roster.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    for row in table:
        sheet.append([int(cell) if cell.isascii() and cell.isdigit() else cell for cell in row])
    book.properties.created = book.properties.modified = STAMP
    book.save(HERE / "roster.xlsx")


if __name__ == "__main__":
    main()
