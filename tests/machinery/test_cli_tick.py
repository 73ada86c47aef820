"""`selfreport tick --at ISO-TIME`: the scheduler's code path, run by an operator."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.entry import main
from bot.db import Database
from tests.machinery.helpers import seed_members, seed_unit


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """main() sets up logging for the process; later tests must not log into our capture."""
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
            async with db.transaction() as s:
                unit = await seed_unit(s, reminder_times="10:00")
                await seed_members(s, unit, [4001, 4002])
        finally:
            await db.dispose()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Shanghai")
    return url


def test_tick_at_an_instant_prints_what_it_queued_and_is_idempotent(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tick", "--at", "2026-11-30T07:29+08:00"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "tick at 2026-11-30T07:29:00+08:00: queued nothing"]
    assert main(["tick", "--at", "2026-11-30T07:30:00+08:00"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "prompt for 2026-11-30: unit 1: 2",
        "tick at 2026-11-30T07:30:00+08:00: queued prompt 2",
    ]
    # A naive time is UTC: 23:30 UTC on the 29th is 07:30 on the 30th in Shanghai.
    assert main(["tick", "--at", "2026-11-29T23:30"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "tick at 2026-11-29T23:30:00+00:00: queued nothing"]


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T07:30", "", "07:30"])
def test_a_bad_time_is_refused_in_one_line(
    cli_db: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tick", "--at", value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("selfreport: --at: not an ISO 8601 time")
