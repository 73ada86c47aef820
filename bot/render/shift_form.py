"""Adding a shift by buttons: the day, the hours, the post, the person.

`dn` starts; `dk:<step>:<value>` answers a step (a day as YYYY-MM-DD, hours as HHMM-HHMM, a
recent post by its index, a member by id). Anything can be written instead.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _, fmt_skeleton, join_sentences
from bot.render.callbacks import Codec, Token, Word
from bot.render.duty import edit_reply
from bot.render.payloads import Buttons
from bot.services.duty.shift_form import FormReply, FormStatus, Step

SHIFT_NEW = Codec("dn")
SHIFT_PICK = Codec("dk", Word.of("step", Step), Token("value", 12, r"[0-9a-z\-]"))
HOURS = ("0800-1200", "1200-1600", "1600-2000", "2000-0800")


def new_shift_button() -> list[tuple[str, str]]:
    return [(_("➕ Add a shift"), SHIFT_NEW.encode())]


def _question(step: Step) -> str:
    if step is Step.DAY:
        return _("<b>New shift.</b> Which day? Tap, or write it as you would say it, for "
                 "example “tomorrow”, “next Friday” or “Dec 6”.")
    if step is Step.HOURS:
        return _("Which hours? Tap, or write them, for example “8am-12pm” or "
                 "“08:00-12:00”.")
    if step is Step.POST:
        return _("Which post? Write it (for example “Gate checkpoint”), or tap a recent one.")
    return _("Who is on duty? Write a name or phone number.")


def _pairs(items: list[tuple[str, str]], per_row: int) -> Buttons:
    return [items[i:i + per_row] for i in range(0, len(items), per_row)]


def form_reply(reply: FormReply) -> tuple[str, Buttons]:
    if reply.status is FormStatus.DONE and reply.edit is not None:
        return edit_reply(reply.edit, "add"), []
    if reply.status is FormStatus.EXPIRED or reply.step is None:
        return _("That step has expired. Send /shifts and tap “Add a shift” again."), []
    step = reply.step
    text = _question(step)
    if reply.status is FormStatus.BAD:
        text = join_sentences([_("I could not read that."), text])
    if step is Step.DAY:
        return text, _pairs([(fmt_skeleton(d, "MMMEd"), SHIFT_PICK.encode(step, d.isoformat()))
                             for d in reply.days], 3)
    if step is Step.HOURS:
        return text, _pairs([(f"{h[:2]}:{h[2:4]}–{h[5:7]}:{h[7:]}", SHIFT_PICK.encode(step, h))
                             for h in HOURS], 2)
    if step is Step.POST:
        return text, _pairs([(p[:30], SHIFT_PICK.encode(step, str(i)))
                             for i, p in enumerate(reply.posts)], 2)
    return text, [[(escape(name)[:60], SHIFT_PICK.encode(step, str(member_id)))]
                  for member_id, name in reply.people]
