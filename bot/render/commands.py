"""The commands the bot offers, who may use them, and how they are described.

One list feeds both `/help` (filtered by the asker's role) and the command menu; the texts of
/help and of the fallbacks (an unknown command, a message nobody takes, a stale button).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from html import escape

from babel.support import LazyProxy

from bot.db.models import Role
from bot.i18n import _, lazy_gettext

RANK = {None: 0, Role.MEMBER: 1, Role.LEADER: 2, Role.ADMIN: 3}


class Topic(enum.Enum):
    """/help's sections, in the order shown; each shows only the commands the asker may use."""

    START = lazy_gettext("Getting started")
    REPORT = lazy_gettext("Your daily report")
    RULES = lazy_gettext("Rules and rumours")
    DUTY = lazy_gettext("Duty and volunteering")
    UNITS = lazy_gettext("Your units (leaders)")
    PEOPLE = lazy_gettext("Leave, questions and notices (leaders)")
    ROSTER = lazy_gettext("Duty rosters (leaders)")
    ADMIN = lazy_gettext("Administration")


@dataclass(frozen=True)
class Command:
    name: str
    description: LazyProxy
    # The least role that may use it; None = anyone who writes to the bot.
    role: Role | None = None
    in_menu: bool = True
    topic: Topic = Topic.START


COMMANDS: tuple[Command, ...] = (
    Command("start", lazy_gettext("Start, or link your account"), topic=Topic.START),
    Command("help", lazy_gettext("What this bot can do for you"), topic=Topic.START),
    Command("language", lazy_gettext("Choose your language"), topic=Topic.START),
    Command("rules", lazy_gettext("The rules by topic (or just write me your question)"),
            topic=Topic.RULES),
    Command("check", lazy_gettext("Check a message against the known rumours"),
            topic=Topic.RULES),
    Command("me", lazy_gettext("Your unit, role, household and settings"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("family", lazy_gettext("Add, rename or remove household members"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("report", lazy_gettext("Report your and your household's health"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("history", lazy_gettext("Your reports for the last 14 days"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("cancel", lazy_gettext("Cancel the form you are filling in"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("quiet", lazy_gettext("Set quiet hours for reminders"), Role.MEMBER,
            topic=Topic.REPORT),
    Command("duty", lazy_gettext("Who is on duty today; your shifts, confirm or swap"),
            Role.MEMBER, topic=Topic.DUTY),
    Command("volunteer", lazy_gettext("Volunteer for front-line work, or withdraw"),
            Role.MEMBER, topic=Topic.DUTY),
    Command("shifts", lazy_gettext("Duty shifts of your units: add, hand over, remove"),
            Role.LEADER, topic=Topic.ROSTER),
    Command("shift_add", lazy_gettext("Add a duty shift: /shift_add DATE START-END POST / NAME"),
            Role.LEADER, topic=Topic.ROSTER),
    Command("shift_assign", lazy_gettext("Hand a shift to someone: /shift_assign ID NAME"),
            Role.LEADER, topic=Topic.ROSTER),
    Command("duty_import", lazy_gettext("Load duty shifts from a CSV or Excel file"),
            Role.LEADER, topic=Topic.ROSTER),
    Command("volunteers", lazy_gettext("Volunteers of your units: thank or assign them"),
            Role.LEADER, topic=Topic.ROSTER),
    Command("leave", lazy_gettext("Record leave or an exemption for a member"), Role.LEADER,
            topic=Topic.PEOPLE),
    Command("status", lazy_gettext("Today's reporting status of your unit"), Role.LEADER,
            topic=Topic.UNITS),
    Command("contacts", lazy_gettext("Who gets a unit's digest and alerts"), Role.LEADER,
            topic=Topic.UNITS),
    Command("remind", lazy_gettext("Remind who has not reported yet, now"), Role.LEADER,
            topic=Topic.UNITS),
    Command("export", lazy_gettext("Reports of a date range as a spreadsheet"), Role.LEADER,
            topic=Topic.UNITS),
    Command("report_for", lazy_gettext("Record a report for a member without Telegram"),
            Role.LEADER, topic=Topic.UNITS),
    Command("questions", lazy_gettext("Open questions from your units' members"), Role.LEADER,
            topic=Topic.PEOPLE),
    Command("answer", lazy_gettext("Answer a member's question: /answer ID text"),
            Role.LEADER, topic=Topic.PEOPLE),
    Command("notice", lazy_gettext("Send a notice to your units' members"), Role.LEADER,
            topic=Topic.PEOPLE),
    Command("notices", lazy_gettext("Recent notices: delivered, acknowledged, reminders"),
            Role.LEADER, topic=Topic.PEOPLE),
    Command("invite", lazy_gettext("An invite link to a unit: /invite [UNIT] [role] [uses] "
                                   "[days]"), Role.LEADER, topic=Topic.UNITS),
    Command("setschedule", lazy_gettext("Show or change a unit's daily schedule"), Role.LEADER,
            topic=Topic.UNITS),
    Command("members", lazy_gettext("The members of your units"), Role.LEADER,
            topic=Topic.UNITS),
    Command("holidays", lazy_gettext("Days off of your unit: list, add, remove"), Role.LEADER,
            topic=Topic.UNITS),
    Command("import", lazy_gettext("Load the roster from a CSV or Excel file"), Role.ADMIN,
            topic=Topic.ADMIN),
    Command("faq_stats", lazy_gettext("How helpful members find the answers"), Role.ADMIN,
            topic=Topic.ADMIN),
    Command("faq_reload", lazy_gettext("Reload the rules knowledge base files"), Role.ADMIN,
            topic=Topic.ADMIN),
    Command("faq_add", lazy_gettext("Turn an answered question into a rules entry: "
                                    "/faq_add ID"), Role.ADMIN, topic=Topic.ADMIN),
)


def allowed(command: Command, role: Role | None) -> bool:
    return RANK[role] >= RANK[command.role]


def commands_for(role: Role | None) -> list[Command]:
    return [c for c in COMMANDS if allowed(c, role)]


def menu_commands() -> list[tuple[str, str]]:
    """(name, description) for the menu, in the current locale: the commands anyone may use."""
    return [(c.name, str(c.description)) for c in COMMANDS if c.in_menu and c.role is None]


def help_text(role: Role | None) -> str:
    """/help: the commands `role` may use (None: someone not linked yet), by topic."""
    mine = commands_for(role)
    lines: list[str] = []
    for topic in Topic:
        here = [c for c in mine if c.topic is topic]
        if here:
            lines += ["", f"<b>{escape(str(topic.value))}</b>"]
            lines += [f"/{c.name} — {escape(str(c.description))}" for c in here]
    header = _("Commands you can use:")
    if role is None:
        footer = _("You are not linked to your unit yet: send /start to link your account.")
        lines += ["", escape(footer)]
    return "\n".join([f"<b>{escape(header)}</b>", *lines])


def unknown_command() -> str:
    return escape(_("I don't know that command. Send /help to see what I can do."))


def not_understood() -> str:
    return escape(_("Sorry, I didn't understand that. Send /help to see what I can do."))


def stale_button() -> str:
    """A callback answer (plain text)."""
    return _("This button is no longer valid.")
