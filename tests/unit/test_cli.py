"""The command line as an operator meets it: exit codes and one-line reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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


NOT_MIGRATED = ("selfreport: the database at DATABASE_URL has no schema yet (or an old one): "
                "run `selfreport db upgrade` first")


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that exists but was never migrated."""
    import asyncio
    import uuid

    import asyncpg
    from sqlalchemy.engine import make_url

    PG_URL = os.environ.get("TEST_DATABASE_URL")

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set")
    admin = make_url(PG_URL).set(drivername="postgresql")
    name = f"selfreport_empty_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.parametrize("command", [
    ["org", "tree"], ["tick"], ["audit"], ["purge"], ["export"],
    ["org", "import", str(ROOT / "samples" / "roster.csv")],
])
def test_a_database_never_migrated_is_one_line(
    empty_database: str, command: list[str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.chdir(ROOT)
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == NOT_MIGRATED
