"""Asking to join (a number not on the roster): the offer, the name, the unit tree, the
request as approvers get it, and the answer as the person who asked gets it.

Buttons: `js` starts, `jb:<unit>` opens a unit of the tree (0: the top), `jp:<unit>` picks it,
`jd:<request>:<a|d>` approves or declines.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _, join_list, unit_path
from bot.render.callbacks import Codec, Int, Word
from bot.render.onboarding import name_problem, share_phone_label
from bot.render.payloads import Buttons, Payload, inline_keyboard, message_payload, payload_for
from bot.services.members.joining import (
    DecideResult,
    Decision,
    JoinAsked,
    JoinDecided,
    JoinReply,
    Outcome,
)

JOIN_START = Codec("js")
JOIN_BROWSE = Codec("jb", Int("unit", 12))
JOIN_PICK = Codec("jp", Int("unit", 12))
JOIN_DECIDE = Codec("jd", Int("request", 12), Word("choice", ("a", "d")))


def _unit(path: tuple[str, ...]) -> str:
    return escape(unit_path(path))


def not_on_roster() -> tuple[str, Buttons]:
    """The shared number is on nobody's roster row: say what can be done, and by whom."""
    return (_("Your phone number is not on the roster yet. You can ask to join: tap "
              "<b>Ask to join</b>, give your name and pick your unit. Its leaders (or, if it "
              "has none, the administrators) get your request and can approve it here; you "
              "will hear their answer in this chat."),
            [[(_("🙋 Ask to join"), JOIN_START.encode())]])


def unlinked_question(reply: JoinReply) -> tuple[str, Buttons]:
    """A question the rules do not answer, from someone whose number is not on the roster:
    where their joining stands instead of "send /start" again."""
    if reply.outcome is Outcome.PENDING:
        return _("I have no answer to that in the rules yet. Your request to join {unit} is "
                 "still waiting for an answer; once you are approved you can pass questions "
                 "to your unit's contacts.").format(unit=_unit(reply.parent)), []
    return (_("I have no answer to that in the rules yet. Your phone number is not on the "
              "roster: tap <b>Ask to join</b>, and once you are approved you can pass "
              "questions to your unit's contacts."),
            [[(_("🙋 Ask to join"), JOIN_START.encode())]])


def join_reply(reply: JoinReply) -> tuple[str, Buttons]:
    """What the person asking to join sees at each step."""
    outcome = reply.outcome
    if outcome is Outcome.ASK_NAME:
        return _("What is your full name, as it should appear in reports?"), []
    if outcome is Outcome.BAD_NAME:
        return name_problem(reply.name_error), []
    if outcome is Outcome.UNITS:
        return _units(reply)
    if outcome is Outcome.SENT:
        if reply.approvers:
            return _("Your request to join {unit} has been sent to {names}. You will hear "
                     "their answer here.").format(unit=_unit(reply.parent), names=escape(
                         join_list(reply.approvers))), []
        return _("Your request to join {unit} has been sent to the administrators. You will "
                 "hear their answer here.").format(unit=_unit(reply.parent)), []
    if outcome is Outcome.PENDING:
        return _("Your request to join {unit} is still waiting for an answer. You will hear "
                 "it here.").format(unit=_unit(reply.parent)), []
    if outcome is Outcome.LINKED:
        return _("You are already on the roster. Send /help to see what you can do."), []
    if outcome is Outcome.NO_UNITS:
        return _("There is no such unit to join. Send /start to begin again."), []
    return _("That step has expired. Send /start and tap <b>{button}</b> again.").format(
        button=escape(share_phone_label())), []


def _units(reply: JoinReply) -> tuple[str, Buttons]:
    if reply.parent:
        text = _("<b>{unit}</b>: which unit below it is yours? Tap 📁 to look inside a "
                 "unit, or ✅ to choose it.").format(unit=_unit(reply.parent))
    else:
        text = _("Which unit do you belong to? Tap 📁 to look inside a unit, or ✅ to choose "
                 "it.")
    rows: Buttons = []
    for unit_id, name, has_children in reply.units:
        if has_children:
            rows.append([(f"📁 {name}"[:60], JOIN_BROWSE.encode(unit_id)),
                         (_("✅ Choose"), JOIN_PICK.encode(unit_id))])
        else:
            rows.append([(f"✅ {name}"[:60], JOIN_PICK.encode(unit_id))])
    if reply.parent_id is not None:
        rows.append([(_("⬆️ Back to the top"), JOIN_BROWSE.encode(0))])
    return text, rows


@payload_for.register
def join_asked_payload(view: JoinAsked) -> Payload:
    text = "\n".join([
        _("🙋 <b>Request to join {unit}</b>").format(unit=_unit(view.unit_path)),
        _("Name: {name}").format(name=escape(view.name)),
        _("Phone: {phone}").format(phone=escape(view.phone)),
        _("Their number is not on the roster. Approve to add them to {unit} as a member.")
        .format(unit=_unit(view.unit_path))])
    return message_payload(text, reply_markup=inline_keyboard(decide_buttons(view.request_id)))


def decide_buttons(request_id: int) -> Buttons:
    return [[(_("✅ Approve"), JOIN_DECIDE.encode(request_id, "a")),
             (_("✖ Decline"), JOIN_DECIDE.encode(request_id, "d"))]]


@payload_for.register
def join_decided_payload(view: JoinDecided) -> Payload:
    who = escape(view.decided_by) or _("an administrator")
    if view.approved:
        text = _("✅ Welcome! {who} approved your request: you are now a member of {unit}.\n\n"
                 "Every morning I will ask how you and your household are. Send /family to "
                 "add the people you live with, and /help for everything else.").format(
            who=who, unit=_unit(view.unit_path))
    else:
        text = _("Your request to join {unit} was declined by {who}. If that is a mistake, "
                 "please talk to them or to your unit's leader.").format(
            who=who, unit=_unit(view.unit_path))
    return message_payload(text)


def decide_result(result: DecideResult) -> str:
    """What the approver sees once they pressed a button."""
    values = {"name": escape(result.name), "unit": _unit(result.unit_path),
              "who": escape(result.decided_by)}
    if result.decision is Decision.APPROVED:
        return _("✅ Approved: {name} is now a member of {unit}.").format(**values)
    if result.decision is Decision.DECLINED:
        return _("Declined: {name} will not join {unit}.").format(**values)
    if result.decision is Decision.ALREADY:
        if result.decided_by:
            return _("This request was already answered by {who}.").format(**values)
        return _("This request was already answered.")
    if result.decision is Decision.NOT_ALLOWED:
        return _("You cannot answer requests to join that unit.")
    if result.decision is Decision.TAKEN:
        return _("{name}'s number or Telegram account is on the roster already, so nothing "
                 "was changed.").format(**values)
    return _("This request no longer exists.")
