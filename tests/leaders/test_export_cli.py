"""`selfreport export`: the same rows as /export, to a file, audited."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli.entry import main
from bot.db import Database
from tests.leaders.helpers import CARA, MIA, audit_rows, report, seed_org


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def cli_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "cli.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def seed() -> None:
        db = Database.from_url(url)
        try:
            o = await seed_org(db)
            await report(db, o.members[MIA], temperature="38.2", symptoms=("cough",))
            await report(db, o.members[CARA])
        finally:
            await db.dispose()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return url


def test_export_a_units_subtree_as_csv_and_everything_as_xlsx(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.csv"
    assert main(["export", "--from", "2026-11-30", "--to", "2026-11-30",
                 "--unit", "Group/Company A", "--format", "csv", "--out", str(out)]) == 0
    assert "4 rows (2026-11-30 to 2026-11-30) written to" in capsys.readouterr().out
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Unit", "Member"]
    assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[11]) for r in rows[1:]] == [
        ("2026-11-30", "Alan", "not reported", "", "", "", ""),
        ("2026-11-30", "Ben", "not reported", "", "", "", ""),
        ("2026-11-30", "Dora", "not reported", "", "", "", ""),
        ("2026-11-30", "Mia", "reported", "abnormal", "38.2", "cough", "all well")]

    assert main(["export", "--from", "2026-11-30", "--to", "2026-11-30"]) == 0
    book = load_workbook(tmp_path / "reports_20261130-20261130.xlsx", read_only=True)
    assert len(list(book.worksheets[0].iter_rows(values_only=True))) == 1 + 7

    async def audited() -> list[str]:
        db = Database.from_url(cli_db)
        try:
            return [e.target for e in await audit_rows(db, "export")]
        finally:
            await db.dispose()

    unit, everything = asyncio.run(audited())
    assert unit.startswith("unit:") and everything == "org"


@pytest.mark.parametrize("args", [
    ["--from", "2026-11-30", "--to", "2026-01-01"],
    ["--from", "2026-01-01", "--to", "2026-12-31"],
    ["--from", "2026-02-30"],
    ["--to", "2026-11-30"],
    ["--unit", "Nowhere"],
])
def test_bad_arguments_exit_non_zero_with_one_line(
    cli_db: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selfreport: ") and err.count("\n") == 1
