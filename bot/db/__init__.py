"""Database access: models, engine, migrations, repositories."""

from bot.db.engine import Database, create_engine

__all__ = ["Database", "create_engine"]
