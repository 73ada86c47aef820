"""`selfreport org import|invite|holiday|schedule` as an operator runs them, on SQLite and
PostgreSQL: exit codes, what is printed, and what the database holds afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli.entry import main
from bot.db.models import Holiday, HouseholdEntry, Invite, Member, Role, Unit, UnitContact
from tests.support.builders import csv_bytes
from tests.support.cli import SAMPLES, _keep_logging, cli_db, out_lines, run_db

__all__ = ["_keep_logging", "cli_db"]


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    async def work(s: Any) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "members": [(m.id, m.name, m.phone, m.unit_id, m.role, m.active)
                        for m in await s.scalars(select(Member).order_by(Member.id))],
            "household": [(h.id, h.member_id, h.relation, h.name, h.position) for h in
                          await s.scalars(select(HouseholdEntry).order_by(HouseholdEntry.id))],
            "chain": [(c.unit_id, c.member_id, c.position) for c in await s.scalars(
                select(UnitContact).order_by(UnitContact.unit_id, UnitContact.position))],
            "units": [(u.id, u.name, u.path, u.active)
                      for u in await s.scalars(select(Unit).order_by(Unit.id))],
        }

    result: dict[str, list[tuple[Any, ...]]] = run_db(url, work)
    return result


@pytest.mark.parametrize("sample", ["roster.csv", "roster.xlsx"])
def test_importing_a_sample_then_again_changes_nothing(
    cli_db: str, capsys: pytest.CaptureFixture[str], sample: str
) -> None:
    assert main(["org", "import", "--dry-run", str(SAMPLES / sample)]) == 0
    out, _err = out_lines(capsys)
    assert out[-2:] == [
        "Would be: added 21, updated 0, reactivated 0, deactivated 0, unchanged 0; "
        "new units 10, reporting chains changed 10", "Dry run: nothing was changed."]
    assert any(line.startswith("Line 2: add 周建国 (安和集团)") for line in out)
    assert snapshot(cli_db) == {"members": [], "household": [], "chain": [], "units": []}

    assert main(["org", "import", str(SAMPLES / sample)]) == 0
    out, _err = out_lines(capsys)
    assert out == ["Done: added 21, updated 0, reactivated 0, deactivated 0, unchanged 0; "
                   "new units 10, reporting chains changed 10"]
    first = snapshot(cli_db)
    assert len(first["members"]) == 21 and len(first["units"]) == 10

    assert main(["org", "import", str(SAMPLES / sample)]) == 0
    out, _err = out_lines(capsys)
    assert out == ["Done: added 0, updated 0, reactivated 0, deactivated 0, unchanged 21; "
                   "new units 0, reporting chains changed 0"]
    assert snapshot(cli_db) == first


def test_the_csv_and_xlsx_samples_are_the_same_roster(cli_db: str) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    first = snapshot(cli_db)
    assert main(["org", "import", str(SAMPLES / "roster.xlsx")]) == 0
    assert snapshot(cli_db) == first


def test_members_missing_from_the_file_are_deactivated_not_deleted(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    lines = (SAMPLES / "roster.csv").read_text(encoding="utf-8").splitlines()
    shorter = tmp_path / "shorter.csv"
    shorter.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")  # 唐丽, 韩雪梅 gone
    capsys.readouterr()
    assert main(["org", "import", "--list", str(shorter)]) == 0
    out, _err = out_lines(capsys)
    assert "Deactivate 唐丽 (安和集团/西城公司/四支部): not in the file" in out
    assert out[-1].startswith("Done: added 0, updated 0, reactivated 0, deactivated 2,")
    members = snapshot(cli_db)["members"]
    assert len(members) == 21
    assert {m[1] for m in members if not m[5]} == {"唐丽", "韩雪梅"}
    # Back in the file: the same rows come back to life.
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    out, _err = out_lines(capsys)
    assert out[-1].startswith("Done: added 0, updated 0, reactivated 2, deactivated 0,")
    assert [m[0] for m in snapshot(cli_db)["members"]] == [m[0] for m in members]


BAD_ROWS = [
    ("G/A", "Wang Wei", "13800138001", "leader", "spouse:Li Na", "yes"),
    ("G/A", "", "13800138002", "", "", ""),  # line 3: no name
    ("G/A", "Phone Less", "12345", "", "", ""),  # line 4: not a phone
    ("G/A", "Bossy", "13800138004", "boss", "", ""),  # line 5: unknown role
    ("G/A", "Odd Family", "13800138005", "", "spouse", ""),  # line 6: malformed household
    ("G/B", "Good Too", "13800138006", "", "", "no"),
    ("G/B", "Twice", "13800138001", "", "", ""),  # line 8: Wang's phone again
]


def test_a_file_with_bad_rows_changes_nothing_and_lists_every_bad_row(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    before = snapshot(cli_db)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(BAD_ROWS))
    capsys.readouterr()
    assert main(["org", "import", str(bad)]) == 1
    out, _err = out_lines(capsys)
    assert out[-7:] == [
        "5 bad rows:",
        "  Line 3, name: this cell is required",
        "  Line 4, phone: not a valid phone number: a landline number needs its area code",
        "  Line 5, role: unknown role “boss” (use member, leader or admin)",
        "  Line 6, household: “spouse” is not “relation:name”",
        "  Line 8, phone: the phone number +8613800138001 is already on line 2",
        "Nothing was changed: correct the rows above, or run again with --skip-bad to import "
        "only the good rows.",
    ]
    assert out[0].startswith("Would be: added 2,")
    assert snapshot(cli_db) == before


def test_skip_bad_imports_the_good_rows(cli_db: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(BAD_ROWS))
    assert main(["org", "import", "--skip-bad", str(bad)]) == 0
    out, _err = out_lines(capsys)
    assert out[0].startswith("Done: added 2,")
    assert "5 bad rows:" in out and out[-1] == "The bad rows were skipped."
    assert sorted(m[1] for m in snapshot(cli_db)["members"]) == ["Good Too", "Wang Wei"]


@pytest.mark.parametrize(("content", "name", "reason"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "roster.csv", "it looks like a PNG file"),
    ("unit,name,phone\n集团,张三,13800138000\n".encode("gbk")[:-8] + b"\xff\xfe\n",
     "roster.csv", "not in a supported encoding"),
    (b"", "roster.csv", "The file is empty."),
    (b"x" * (10 * 1024 * 1024), "big.csv", "The file is too large (10 MB; at most 5 MB)."),
])
def test_a_file_that_is_not_a_roster_is_refused_in_one_line(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, name: str,
    reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["org", "import", str(path)]) == 2
    out, err = out_lines(capsys)
    assert out == [] and len(err) == 1
    assert err[0].startswith(f"selfreport: {path}: ") and reason in err[0], err[0]
    assert snapshot(cli_db)["units"] == []


def test_a_missing_file_is_one_line(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", "nowhere.csv"]) == 2
    _out, err = out_lines(capsys)
    assert err == ["selfreport: cannot read nowhere.csv: No such file or directory"]


def test_output_follows_the_operators_language(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(BAD_ROWS))
    assert main(["org", "import", str(bad)]) == 1
    out, _err = out_lines(capsys)
    text_out = "\n".join(out)
    assert "Line" not in text_out and "第 3 行" in text_out


# --- invites -------------------------------------------------------------------------------


def test_org_invite_prints_a_working_code(cli_db: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    capsys.readouterr()
    assert main(["org", "invite", "安和集团/东城公司", "--role", "leader", "--uses", "3",
                 "--days", "2", "--bot-username", "@selfreport_bot"]) == 0
    out, _err = out_lines(capsys)
    code = re.fullmatch(r"Invite code: ([A-Za-z0-9_-]{22})", out[0])
    assert code is not None
    assert out[1].startswith("For 安和集团/东城公司 as leader; 3 use(s), valid until ")
    assert out[2] == f"Link: https://t.me/selfreport_bot?start={code[1]}"

    async def work(s: Any) -> tuple[Any, ...]:
        invite = await s.scalar(select(Invite).where(Invite.code == code[1]))
        unit = await s.get(Unit, invite.unit_id)
        return invite.role, invite.uses_left, unit.name, invite.expires_at

    role, uses, unit, expires = run_db(cli_db, work)
    assert (role, uses, unit) == (Role.LEADER, 3, "东城公司")
    assert abs((expires - datetime.now(UTC)).total_seconds() - 2 * 86400) < 120


@pytest.mark.parametrize(("args", "reason"), [
    (["Nowhere/At all"], "no unit “Nowhere/At all”"),
    (["安和集团", "--uses", "0"], "--uses must be between 1 and 10000"),
    (["安和集团", "--days", "400"], "--days must be between 1 and 365"),
])
def test_org_invite_bad_input(cli_db: str, capsys: pytest.CaptureFixture[str],
                              args: list[str], reason: str) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    capsys.readouterr()
    assert main(["org", "invite", *args]) == 2
    _out, err = out_lines(capsys)
    assert len(err) == 1 and reason in err[0]

    async def count(s: Any) -> int:
        return int(await s.scalar(select(func.count()).select_from(Invite)))

    assert run_db(cli_db, count) == 0


# --- holidays and weekends -----------------------------------------------------------------


def test_org_holiday_add_list_remove(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    capsys.readouterr()
    assert main(["org", "holiday", "add", "安和集团", "2027-01-01", "New", "Year"]) == 0
    assert out_lines(capsys)[0] == ["Holiday added: Jan 1, 2027 New Year"]
    assert main(["org", "holiday", "add", "安和集团", "2027-01-01", "元旦"]) == 0
    assert out_lines(capsys)[0] == ["Holiday updated: Jan 1, 2027 元旦"]
    assert main(["org", "holiday", "list", "安和集团"]) == 0
    assert out_lines(capsys)[0] == ["2027-01-01  Jan 1, 2027  元旦"]

    async def holidays(s: Any) -> list[tuple[Any, ...]]:
        return [(h.day.isoformat(), h.name) for h in await s.scalars(select(Holiday))]

    assert run_db(cli_db, holidays) == [("2027-01-01", "元旦")]
    assert main(["org", "holiday", "remove", "安和集团", "2027-01-01"]) == 0
    assert main(["org", "holiday", "remove", "安和集团", "2027-01-01"]) == 2
    assert main(["org", "holiday", "add", "安和集团", "2027-02-30"]) == 2
    _out, err = out_lines(capsys)
    assert err == ["selfreport: 安和集团 has no holiday on Jan 1, 2027",
                   "selfreport: “2027-02-30” is not a date: use YYYY-MM-DD"]
    assert run_db(cli_db, holidays) == []


def test_org_schedule_skip_weekends(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(SAMPLES / "roster.csv")]) == 0
    capsys.readouterr()
    assert main(["org", "schedule", "安和集团/东城公司", "--skip-weekends", "yes"]) == 0
    [line] = out_lines(capsys)[0]
    assert line == ("安和集团/东城公司: prompt 07:30, reminders 10:00, 11:30, deadline 12:00, "
                    "time zone Asia/Shanghai; weekends off")
    assert main(["org", "schedule", "安和集团/东城公司/一支部"]) == 0
    assert out_lines(capsys)[0][0].endswith("weekends off")  # inherited
    assert main(["org", "schedule", "安和集团/西城公司"]) == 0
    assert out_lines(capsys)[0][0].endswith("weekends working days")
