"""The commands the bot offers, who may use them, and how they are described.

One list feeds both `/help` (filtered by the asker's role) and the command menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.support import LazyProxy

from bot.db.models import Role
from bot.i18n import lazy_gettext

RANK = {None: 0, Role.MEMBER: 1, Role.LEADER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Command:
    name: str
    description: LazyProxy
    # The least role that may use it; None = anyone who writes to the bot.
    role: Role | None = None
    in_menu: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("start", lazy_gettext("Start, or link your account")),
    Command("help", lazy_gettext("What this bot can do for you")),
    Command("language", lazy_gettext("Choose your language")),
)


def allowed(command: Command, role: Role | None) -> bool:
    return RANK[role] >= RANK[command.role]


def commands_for(role: Role | None) -> list[Command]:
    return [c for c in COMMANDS if allowed(c, role)]


def menu_commands() -> list[tuple[str, str]]:
    """(name, description) for the menu, in the current locale: the commands anyone may use."""
    return [(c.name, str(c.description)) for c in COMMANDS if c.in_menu and c.role is None]
