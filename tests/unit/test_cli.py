"""The command line as an operator meets it: exit codes and one-line reasons."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.entry import main
from bot.db import Database, migrate
from bot.services.demo_seed import seed_demo

ROOT = Path(__file__).resolve().parents[2]


def test_run_without_a_token_says_which_variable_in_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
           "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env={
        **env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "selfreport: TELEGRAM_BOT_TOKEN is not set: get one from @BotFather "
        "(or run `selfreport demo`, which needs none)"
    ]


def test_a_bad_setting_is_one_line_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "org", "tree"], cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DEFAULT_TIMEZONE": "Nowhere/X"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "selfreport: DEFAULT_TIMEZONE: Value error, unknown time zone " \
        "'Nowhere/X'"


def test_unknown_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2


async def _seeded(url: str) -> None:
    await migrate.upgrade(url)
    db = Database.from_url(url)
    async with db.transaction() as session:
        await seed_demo(session, now=datetime.now(UTC))
    await db.dispose()


def test_db_upgrade_then_org_tree_counts_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path}/org.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert main(["org", "tree"]) == 0
    assert "no units yet" in capsys.readouterr().out
    asyncio.run(_seeded(url))
    assert main(["org", "tree"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("平安集团") and "members 2, linked 2" in lines[0]
    branch = next(line for line in lines if "一支部" in line)
    assert branch.startswith("    ") and "members 4, linked 3" in branch
