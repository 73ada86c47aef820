"""`selfreport …` as an operator runs it, in this process: `main()` against the test's
database, what it printed, and the samples/ files it is given.

`_keep_logging` and `cli_db` are fixtures: a test module uses them by importing them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.db import Database
from bot.db.models import Base

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """main() sets up logging for the process; later tests must not log into our capture."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run_db(url: str, work: Any) -> Any:
    async def go() -> Any:
        db = Database.from_url(url)
        try:
            async with db.transaction() as s:
                return await work(s)
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.fixture
def cli_db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Shanghai")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    yield database_url
    if database_url.startswith("postgresql"):
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)

        async def truncate(s: Any) -> None:
            await s.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))

        run_db(database_url, truncate)


def out_lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()
