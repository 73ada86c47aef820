"""Texts and buttons of the volunteer form and the leaders' list (render in the reader's locale).

Callback data (the codecs below): ``vo:<p|d>:<i>`` toggle a post or weekday, ``vo:s`` save,
``vo:w`` withdraw, ``vt:<offer>`` a leader thanks a volunteer.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import _, aside, colon, join_clauses, join_list
from bot.render.callbacks import Codec, Int, Word
from bot.render.duty import post_label, weekday_label
from bot.render.payloads import Buttons, Payload, message_payload, payload_for
from bot.services.duty.volunteers import (
    POSTS,
    FormAction,
    Offer,
    VolunteerForm,
    VolunteerThanks,
)

TOGGLE = Codec("vo", Word("field", (FormAction.POST.value, FormAction.DAY.value)),
               Int("index", digits=2))
SAVE = Codec("vo:s")
WITHDRAW = Codec("vo:w")
THANK = Codec("vt", Int("offer", digits=12))


def volunteer_form(form: VolunteerForm, *, has_offer: bool) -> tuple[str, Buttons]:
    posts = join_list(post_label(p) for p in form.posts) or "—"
    days = join_list(weekday_label(d) for d in form.days) or "—"
    text = _("🙋 <b>Volunteer for front-line work</b>\nPosts: {posts}\nDays: {days}\n"
             "Note: {note}\n\nTap posts and days to choose; write a short note as a message "
             "if you like; then Save.").format(posts=escape(posts), days=escape(days),
                                               note=escape(form.note) or "—")
    rows = [[(("☑ " if key in form.posts else "☐ ") + post_label(key),
              TOGGLE.encode(FormAction.POST, i))] for i, key in enumerate(POSTS)]
    rows.append([(("☑" if i in form.days else "") + weekday_label(i),
                  TOGGLE.encode(FormAction.DAY, i)) for i in range(7)])
    last = [(_("💾 Save"), SAVE.encode())]
    if has_offer:
        last.append((_("Withdraw my offer"), WITHDRAW.encode()))
    rows.append(last)
    return text, rows


def note_problem() -> str:
    return _("The note must be one line of text, at most 200 characters.")


def form_expired() -> str:
    return _("This form has expired: send /volunteer again.")


def volunteer_saved(saved: bool) -> str:
    if saved:
        return _("🙏 Thank you! Your offer is saved; your unit's leaders can see it.")
    return _("Choose at least one post and one day, then Save.")


def volunteer_withdrawn(done: bool) -> str:
    return (_("Your offer is withdrawn. You can volunteer again any time with /volunteer.")
            if done else _("You have no offer to withdraw."))


def volunteers_list(offers: Sequence[Offer]) -> tuple[str, Buttons]:
    if not offers:
        return _("No volunteers in your units yet."), []
    lines = [_("🙋 <b>Volunteers in your units:</b>")]
    buttons = []
    for o in offers[:40]:
        posts = join_list(post_label(p) for p in o.posts)
        days = join_list(weekday_label(d) for d in o.days)
        line = "• " + colon(aside(f"<b>{escape(o.name)}</b>", escape(o.unit_name)),
                            join_clauses([escape(posts), escape(days)]))
        if o.note:
            line += f" — <i>{escape(o.note)}</i>"
        lines.append(line)
        buttons.append([(_("🙏 Thank {name}").format(name=o.name[:20]), THANK.encode(o.id))])
    lines.append("\n" + escape(_("Assign one to a shift: /shift_add DATE START-END POST / NAME "
                                 "or /shift_assign ID NAME")))
    return "\n".join(lines), buttons


def volunteers_not_allowed() -> str:
    return _("Only unit leaders and admins can see the volunteers.")


@payload_for.register
def thanks_payload(view: VolunteerThanks) -> Payload:
    return message_payload(_("🙏 {leader} thanks you for volunteering for front-line work!")
                           .format(leader=escape(view.leader)))


def thanks_sent(name: str) -> str:
    """A plain text (a button's answer): the name as written."""
    return _("Thanks sent to {name}.").format(name=name)
