"""`selfreport duty import` with the sample roster and duty files: good, bad, dry run,
--skip-bad, twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli.entry import main
from bot.db.models import Shift
from tests.support.cli import SAMPLES, _keep_logging, cli_db, run_db

__all__ = ["_keep_logging", "cli_db"]


def _shifts(url: str) -> int:
    async def count(s: object) -> int:
        return int(await s.scalar(select(func.count()).select_from(Shift)) or 0)  # type: ignore[attr-defined]

    return int(run_db(url, count))


def test_duty_import_from_the_command_line(cli_db: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(SAMPLES / "roster_en.csv")]) == 0
    capsys.readouterr()
    assert main(["duty", "import", str(SAMPLES / "duty.csv"), "--dry-run"]) == 0
    assert "Dry run, nothing written. Shifts: 4 added" in capsys.readouterr().out
    assert _shifts(cli_db) == 0
    assert main(["duty", "import", str(SAMPLES / "duty.csv")]) == 0
    assert capsys.readouterr().out.strip() == \
        "Shifts: 4 added, 0 updated, 0 unchanged, 0 bad rows skipped."
    assert main(["duty", "import", str(SAMPLES / "duty.csv")]) == 0
    assert "0 added, 0 updated, 4 unchanged" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text("unit,date,start,end,post,phone\n"
                   "Anhe Group/East Company,2026-12-03,08:00,12:00,Gate,13701370104\n"
                   "Anhe Group/Nowhere,2026-12-03,08:00,12:00,Gate,13701370104\n",
                   encoding="utf-8")
    assert main(["duty", "import", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "Line 3: no unit “Anhe Group/Nowhere”" in out and "nothing was changed" in out
    assert _shifts(cli_db) == 4
    assert main(["duty", "import", str(bad), "--skip-bad"]) == 0
    assert "1 added, 0 updated, 0 unchanged, 1 bad rows skipped" in capsys.readouterr().out
    assert _shifts(cli_db) == 5
    assert main(["duty", "import", str(tmp_path / "missing.csv")]) != 0
