"""bot.db.migrate.heads reads the same heads from the scripts as Alembic does."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from bot.db import migrate


def test_heads_are_alembics() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.heads() == frozenset(script.get_heads())
    assert len(migrate.heads()) == 1
