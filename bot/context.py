"""What handlers may reach: the typed callback context and the application's resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db import Database
from bot.services.drafts import DraftKind
from bot.services.org.permissions import Actor

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.db.seen import SeenUpdates
    from bot.outbox.dispatcher import Dispatcher
    from bot.runtime.instances import Heartbeat
    from bot.runtime.metrics import Metrics
    from bot.runtime.webhook import WebhookServer
    from bot.services.faq.service import Faq
    from bot.webapp.server import WebAppServer


# Set for every update by handlers.users.remember_user (group -1), before any other handler:
# who is asking (None for an update without a user) and the kind of their open form (None
# when there is none; an expired one counts: its handler says that it expired). ContextVars,
# like the locale, so that the routing filters in handlers/routes.py (which see only the
# update) can read them too.
_actor: ContextVar[Actor | None] = ContextVar("actor", default=None)
_open_form: ContextVar[DraftKind | None] = ContextVar("open_form", default=None)


def set_update_state(actor: Actor | None, open_form: DraftKind | None) -> None:
    """Record the update's actor and open form (group -1 does, for every update)."""
    _actor.set(actor)
    _open_form.set(open_form)


def current_actor() -> Actor | None:
    return _actor.get()


def current_open_form() -> DraftKind | None:
    return _open_form.get()


@dataclass
class BotData:
    """Long-lived resources, filled in by build_application (PTB builds this with no args)."""

    settings: Settings | None = None
    db: Database | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Drains the outbox; started in post_init (bot.runtime.jobs), None before and in bare tests.
    dispatcher: Dispatcher | None = None
    # The rules knowledge base of every locale; None when the files could not be loaded.
    faq: Faq | None = None
    # Production machinery (issue 8): /metrics counters, the shared record of update ids
    # taken (bot.runtime.dedup), this instance's heartbeat and share of SEND_RATE
    # (bot.runtime.instances).
    metrics: Metrics | None = None
    seen_updates: SeenUpdates | None = None
    heartbeat: Heartbeat | None = None
    # Serves WEBHOOK_URL in webhook mode (bot.runtime.webhook); None when polling.
    webhook: WebhookServer | None = None
    # Serves the leaders' dashboard (bot.webapp) on WEBAPP_LISTEN; None without WEBAPP_URL or
    # when it shares the webhook's server.
    webapp: WebAppServer | None = None


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The callback context every handler receives."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def settings(self) -> Settings:
        settings = self.bot_data.settings
        assert settings is not None, "build_application sets the settings"
        return settings

    @property
    def db(self) -> Database:
        db = self.bot_data.db
        assert db is not None, "build_application sets the database"
        return db

    def now(self) -> datetime:
        return self.bot_data.clock()

    @property
    def actor(self) -> Actor:
        """Who sent this update: resolved once, with the account, before any handler ran."""
        actor = _actor.get()
        assert actor is not None, "handlers.users.remember_user runs first for user updates"
        return actor

    @property
    def manager(self) -> Actor | None:
        """The actor when they manage a subtree (an admin or a leader), else None."""
        actor = self.actor
        return actor if actor.manages else None

    @property
    def open_form(self) -> DraftKind | None:
        """The kind of the sender's open form, as it was when the update arrived."""
        return _open_form.get()

    def wake_dispatcher(self) -> None:
        """Call after a transaction that enqueued messages commits: they go out at once."""
        if self.bot_data.dispatcher is not None:
            self.bot_data.dispatcher.poke()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The update's unit of work: committed when the block ends, rolled back on error."""
        async with self.db.transaction() as session:
            yield session
