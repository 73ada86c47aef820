"""Filters that route an update by who sent it and the form they have open.

They read what handlers.users.remember_user (group -1) recorded for the update
(bot.context.set_update_state), so routing costs no query: the registry in
handlers/__init__.py says, in one place, which handler takes a text, contact, document or
photo for each kind of open form.
"""

from __future__ import annotations

import re

from telegram import Message
from telegram.ext import filters

from bot.context import current_actor, current_open_form
from bot.services.drafts import DraftKind

# The id a hand-over message names (services.faq.questions renders "#ID").
_HANDOVER_ID = re.compile(r"#\d{1,9}\b")


class OpenForm(filters.MessageFilter):
    """The sender has a form of this kind open (expired or not: the form's own handler tells
    an expired form apart and says so)."""

    def __init__(self, kind: DraftKind) -> None:
        super().__init__(name=f"OpenForm({kind.value})")
        self.kind = kind

    def filter(self, message: Message) -> bool:
        return current_open_form() is self.kind


class _Admin(filters.MessageFilter):
    """An admin (ADMIN_TELEGRAM_IDS or the admin role)."""

    def filter(self, message: Message) -> bool:
        actor = current_actor()
        return actor is not None and actor.is_admin


class _Staff(filters.MessageFilter):
    """Someone who answers members' questions: an admin, a leader or a chain contact."""

    def filter(self, message: Message) -> bool:
        actor = current_actor()
        return actor is not None and actor.is_staff


class _HandoverReply(filters.MessageFilter):
    """A reply to one of the bot's messages that names a question (#ID): a staff member's
    answer to a hand-over (handlers.faq.answer_reply checks it is really one)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return (replied is not None and replied.from_user is not None
                and replied.from_user.is_bot
                and _HANDOVER_ID.search(replied.text or "") is not None)


def open_form(kind: DraftKind) -> OpenForm:
    return OpenForm(kind)


ADMIN = _Admin(name="ADMIN")
STAFF = _Staff(name="STAFF")
HANDOVER_REPLY = _HandoverReply(name="HANDOVER_REPLY")
