"""Runs first for every update: drops a repeat, remembers the user, sets the language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context, set_update_state
from bot.i18n import resolve_locale, set_locale
from bot.runtime.dedup import digest_of, dropped, seen_updates
from bot.services.drafts import DraftKind
from bot.services.org.accounts import Linked, Seen, touch_and_take
from bot.services.org.permissions import Actor, actor_from_row, with_contacts


async def remember_user(update: Update, context: Context) -> None:
    """Stop an update delivered again (bot.runtime.dedup), record the account and set the locale
    ContextVar for this update (it must be set for every update, or the previous user's
    language leaks into this one), with the actor and the kind of their open form
    (bot.context.set_update_state), read in the same statement. It runs for every update, so
    it is cheap: prebuilt statements in one call on one connection, on SQLite two in one
    transaction (one write lock), on PostgreSQL one without BEGIN and COMMIT
    (accounts.touch_and_take). The account
    is touched first: for a repeat that is harmless, and an update is marked taken only
    once its account is."""
    user = update.effective_user
    chat = update.effective_chat
    seen, digest, now = seen_updates(context), digest_of(update), context.now()

    account: Seen | None = None
    async with context.db.direct() as connection:
        if user is None or user.is_bot:
            taken = await seen.take(connection, update.update_id, digest, now)
        else:
            taken, account = await touch_and_take(
                connection, seen, update_id=update.update_id, digest=digest,
                telegram_user_id=user.id, chat_id=chat.id if chat else None,
                language_code=user.language_code, now=now)
    if not taken:
        set_update_state(None, None)
        dropped(update, context)
        raise ApplicationHandlerStop  # after the block: raising inside would roll it back
    actor, form = None, None
    if account is not None and user is not None:
        actor, form = _actor_and_form(user.id, account.linked, context)
        if account.linked.is_contact and actor.member_id is not None:
            async with context.transaction() as session:  # the few on a reporting chain
                actor = await with_contacts(session, actor)
    set_update_state(actor, form)
    default = context.settings.default_locale
    set_locale(default if account is None or user is None
               else resolve_locale(account.locale, user.language_code, default))


def _actor_and_form(user_id: int, linked: Linked,
                    context: Context) -> tuple[Actor, DraftKind | None]:
    actor = actor_from_row(user_id, context.settings.admin_telegram_ids,
                           member_id=linked.member_id, name=linked.name, role=linked.role,
                           active=linked.active, unit_id=linked.unit_id,
                           unit_path=linked.unit_path)
    form = None
    if linked.draft_kind is not None:  # expired or not: the form's handler says it expired
        try:
            form = DraftKind(linked.draft_kind)
        except ValueError:  # a kind from a newer version, during a rolling update
            form = None
    return actor, form
