"""Texts (HTML) for joining, /family and /me, built from the services' plain results.

Keyboards are returned as rows of (label, callback_data); handlers make Telegram objects.
/family's buttons carry ``fam:<action>[:<arg>]``: one codec per action (`FAMILY_*`).
"""

from __future__ import annotations

from html import escape

from bot.db.models import Role
from bot.i18n import _, colon, language_name, pgettext, unit_path
from bot.render.callbacks import Codec, Int, Word
from bot.render.payloads import Buttons
from bot.services.members.family import Entry, FamilyResult, Outcome
from bot.services.members.onboarding import (
    InviteResult,
    InviteStatus,
    Linked,
    LinkResult,
    LinkStatus,
)
from bot.services.members.settings import HouseholdError, InvalidText, Profile, TextError

# Quick answers for "who is it to you?": the key travels in callback_data, the label (in the
# member's language) is what is stored.
RELATION_KEYS = ("spouse", "child", "father", "mother")
ENTRY = Int("entry", 12)
FAMILY_ADD = Codec("fam:add")
FAMILY_LIST = Codec("fam:list")
FAMILY_CANCEL = Codec("fam:cancel")
FAMILY_RENAME = Codec("fam:ren", ENTRY)
FAMILY_DELETE = Codec("fam:del", ENTRY)  # asks to confirm
FAMILY_REMOVE = Codec("fam:rm", ENTRY)  # confirmed
FAMILY_RELATION = Codec("fam:rel", Word("relation", RELATION_KEYS))
FAMILY_CODECS = (FAMILY_ADD, FAMILY_LIST, FAMILY_CANCEL, FAMILY_RENAME, FAMILY_DELETE,
                 FAMILY_REMOVE, FAMILY_RELATION)




def parse_family_callback(data: str | None) -> tuple[str, str] | None:
    """(action, argument) of a /family button; None for anything we never sent."""
    for codec in FAMILY_CODECS:
        values = codec.decode(data)
        if values is not None:
            arg = str(values[0]) if values else ""
            if codec.encode(*values) != data:  # e.g. digits that are not ASCII
                return None
            return codec.prefix.removeprefix("fam:"), arg
    return None


def role_label(role: Role | None) -> str:
    return {
        Role.MEMBER: pgettext("role", "member"),
        Role.LEADER: pgettext("role", "leader"),
        Role.ADMIN: pgettext("role", "admin"),
    }.get(role or Role.MEMBER, pgettext("role", "member"))


def relation_label(key: str) -> str | None:
    return {
        "spouse": pgettext("relation", "spouse"),
        "child": pgettext("relation", "child"),
        "father": pgettext("relation", "father"),
        "mother": pgettext("relation", "mother"),
    }.get(key)


def unit_text(path: tuple[str, ...]) -> str:
    return escape(unit_path(path))


# --- /start and linking --------------------------------------------------------------------


def share_phone_label() -> str:
    return _("📱 Share my phone number")


def greeting(first_name: str) -> str:
    return _(
        "Hello, {name}!\n\n"
        "I am the organisation's health self-report assistant. Every morning I ask how you "
        "and your household are; one tap is enough when everyone is well. I also answer "
        "questions about the epidemic rules and pass on notices from your unit.\n\n"
        "Send /help to see what you can do, or /language to change the language."
    ).format(name=escape(first_name)) + "\n\n" + _(
        "To start, link your account to the roster: tap <b>{button}</b> below. I will only "
        "use your number to find you on your organisation's roster."
    ).format(button=escape(share_phone_label()))


def already_linked(member: Linked) -> str:
    return _("You are linked as <b>{name}</b> in {unit} ({role}). Send /help to see what you "
             "can do.").format(name=escape(member.name), unit=unit_text(member.unit_path),
                               role=role_label(member.role))


def welcome(member: Linked) -> str:
    return _("Welcome, <b>{name}</b>! You are now linked to {unit} as {role}.\n\n"
             "Every morning I will ask how you and your household are. Send /family to check "
             "the household members I will ask about, /me to see your details, and /help for "
             "everything else.").format(name=escape(member.name),
                                        unit=unit_text(member.unit_path),
                                        role=role_label(member.role))


def link_result(result: LinkResult) -> str:
    if result.status in (LinkStatus.LINKED, LinkStatus.ALREADY_LINKED):
        assert result.member is not None
        if result.status is LinkStatus.LINKED:
            return welcome(result.member)
        return already_linked(result.member)
    if result.status is LinkStatus.NOT_OWN:
        return _("That is someone else's contact, so I cannot link it to you. To link your own "
                 "account, tap <b>{button}</b>: it sends your own number.").format(
            button=escape(share_phone_label()))
    if result.status is LinkStatus.INVALID_PHONE:
        return _("I could not read a phone number in that contact. Please tap <b>{button}</b> "
                 "to send your own number.").format(button=escape(share_phone_label()))
    if result.status is LinkStatus.TAKEN:
        return _("This phone number is already linked to another Telegram account. If that "
                 "is not you, please contact an administrator.")
    return _("Your phone number is not on the roster. Please ask your unit's leader or an "
             "administrator to add you, or to send you an invite link.")


# --- invites -------------------------------------------------------------------------------


def invite_result(result: InviteResult) -> str:
    status = result.status
    if status is InviteStatus.VALID:
        return _("You have been invited to join {unit} as {role}.\n\n"
                 "Please send your full name as it should appear in reports (up to 64 "
                 "characters).").format(unit=unit_text(result.unit_path),
                                        role=role_label(result.role))
    if status is InviteStatus.JOINED:
        assert result.member is not None
        return welcome(result.member)
    if status is InviteStatus.ALREADY_MEMBER:
        assert result.member is not None
        return _("You are already a member: {linked}").format(
            linked=already_linked(result.member))
    if status is InviteStatus.NAME_INVALID:
        return name_problem(result.name_error)
    if status is InviteStatus.EXPIRED:
        return _("This invite link has expired. Please ask whoever sent it for a new one.")
    if status is InviteStatus.USED_UP:
        return _("This invite link has already been used as many times as it allows. Please "
                 "ask whoever sent it for a new one.")
    if status is InviteStatus.UNIT_CLOSED:
        return _("The unit this invite link is for no longer exists. Please ask whoever sent "
                 "it for a new one.")
    if status is InviteStatus.NO_DRAFT:
        return _("Your invitation step timed out. Please open the invite link again.")
    return _("This invite link is not valid. Please check that you opened the whole link, or "
             "ask whoever sent it for a new one.")


def name_problem(code: str | None, limit: int = 64) -> str:
    if code == TextError.TOO_LONG:
        return _("That is too long for a name: please send at most {limit} characters.").format(
            limit=limit)
    if code == TextError.CONTROL:
        return _("Please send the name as plain text on one line, without special "
                 "characters.")
    if code == TextError.NO_LETTERS:
        return _("A name needs letters, not only emoji, digits or punctuation. Please send "
                 "your name.")
    return _("Please send a name (1 to {limit} characters).").format(limit=limit)


# --- /family -------------------------------------------------------------------------------


def family_text(entries: list[Entry], note: str = "") -> str:
    lines = [note, ""] if note else []
    if entries:
        lines.append(_("<b>Your household</b> (I ask about them in the daily report):"))
        lines += [f"{i}. " + colon(escape(e.relation), escape(e.name))
                  for i, e in enumerate(entries, start=1)]
    else:
        lines.append(_("You have no household members listed. Add the people you live with: "
                       "the daily report asks about them too."))
    return "\n".join(lines)


def family_buttons(entries: list[Entry]) -> Buttons:
    rows = [[(("✏️ " + colon(e.relation, e.name))[:60], FAMILY_RENAME.encode(e.id)),
             ("🗑", FAMILY_DELETE.encode(e.id))] for e in entries]
    rows.append([(_("➕ Add someone"), FAMILY_ADD.encode())])
    return rows


def cancel_buttons() -> Buttons:
    return [[(_("Cancel"), FAMILY_CANCEL.encode())]]


def ask_relation() -> tuple[str, Buttons]:
    text = _("Who is the new household member to you? Tap one, or type it (for example "
             "“grandmother”).")
    quick = [(relation_label(k) or k, FAMILY_RELATION.encode(k)) for k in RELATION_KEYS]
    return text, [quick, *cancel_buttons()]


def confirm_remove(entry: Entry) -> tuple[str, Buttons]:
    text = _("Remove <b>{relation}: {name}</b> from your household?").format(
        relation=escape(entry.relation), name=escape(entry.name))
    return text, [[(_("Yes, remove"), FAMILY_REMOVE.encode(entry.id)),
                   (pgettext("keep household entry", "No"), FAMILY_LIST.encode())]]


def family_step(result: FamilyResult) -> str:
    """The bot's answer to one /family step (the list follows it where useful)."""
    o = result.outcome
    if o is Outcome.ASK_NAME:
        return _("What is the name of your {relation}?").format(
            relation=escape(result.relation or ""))
    if o is Outcome.ASK_RENAME:
        assert result.entry is not None
        return _("Send the new name for <b>{relation}: {name}</b>.").format(
            relation=escape(result.entry.relation), name=escape(result.entry.name))
    if o is Outcome.ADDED:
        assert result.entry is not None
        return _("Added {relation}: {name}.").format(relation=escape(result.entry.relation),
                                                      name=escape(result.entry.name))
    if o is Outcome.RENAMED:
        assert result.entry is not None
        return _("Renamed to {name}.").format(name=escape(result.entry.name))
    if o is Outcome.REMOVED:
        name = escape(result.entry.name) if result.entry else ""
        return _("Removed {name}.").format(name=name)
    if o is Outcome.CANCELLED:
        return _("Cancelled; nothing was changed.")
    if o is Outcome.EXPIRED:
        return _("That step timed out and nothing was saved. Send /family to start again.")
    if o is Outcome.INVALID and result.text_error is not None:
        return text_problem(result.text_error)
    if o is Outcome.REFUSED:
        return household_problem(result.household_error)
    return _("This button is no longer valid.")


def text_problem(error: InvalidText) -> str:
    if error.code is TextError.TOO_LONG:
        return _("That is too long: please send at most {limit} characters.").format(
            limit=error.limit)
    if error.code is TextError.CONTROL:
        return _("Please send plain text on one line, without special characters.")
    if error.code is TextError.NO_LETTERS:
        return _("Please send words with letters, not only emoji, digits or punctuation.")
    return _("Please send some text (1 to {limit} characters).").format(limit=error.limit)


def household_problem(error: HouseholdError | None) -> str:
    if error is HouseholdError.LIMIT:
        return _("You can list at most 10 household members. Remove someone first.")
    if error is HouseholdError.DUPLICATE:
        return _("That person is already on your list. Send a different name, or Cancel.")
    return _("That household entry no longer exists.")


# --- /me -----------------------------------------------------------------------------------


def profile_text(p: Profile, locale: str) -> str:
    household = "\n".join("  • " + colon(escape(r), escape(n)) for r, n in p.household) or \
        "  " + pgettext("household", "none")
    quiet = _("{start}–{end}").format(start=p.quiet.as_text()[0], end=p.quiet.as_text()[1]) \
        if p.quiet else pgettext("not set", "none")
    return "\n".join([
        f"<b>{escape(p.name)}</b>",
        _("Unit: {unit}").format(unit=unit_text(p.unit_path)),
        _("Role: {role}").format(role=role_label(p.role)),
        _("Language: {language}").format(language=escape(language_name(locale))),
        _("Quiet hours: {quiet}").format(quiet=quiet),
        _("Household:"),
        household,
        "",
        _("Change them with /family, /quiet and /language."),
    ])


def not_linked() -> str:
    return escape(_("You are not linked to your unit yet: send /start to link your account."))
