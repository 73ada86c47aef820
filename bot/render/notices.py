"""Notices: the copy each recipient gets, the /notice flow's steps, the sender's progress
message, /notices and its drill-down (HTML).

Callback data, one codec per button (handlers.notices checks the draft and the sender's
rights): ``nf:x`` cancel, ``nf:o`` whole organisation, ``nf:l`` leaders only, ``nf:u:<unit>``
a unit's subtree, ``nf:k:1|0`` acknowledgement or not, ``nf:n`` send now, ``nf:s`` confirm;
``na:<notice>`` acknowledge (the presser must be a recipient); ``nv:<notice>`` drill into a
notice, ``nr:<notice>`` remind who has not acknowledged.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from bot.i18n import (
    _,
    aside,
    colon,
    fmt_datetime,
    fmt_number,
    join_list,
    ngettext,
    pgettext,
    unit_path,
)
from bot.render import when as render_when
from bot.render.callbacks import Codec, Int, Word
from bot.render.payloads import (
    Buttons,
    Payload,
    document_payload,
    file_spec,
    inline_keyboard,
    message_payload,
    payload_for,
    photo_payload,
)
from bot.services.notices.broadcast import NoticeCopy
from bot.services.notices.compose import Action

if TYPE_CHECKING:
    from bot.services.notices.figures import (
        NoticeDetail,
        NoticeLine,
        Person,
        Progress,
        RemindResult,
    )

# The /notice form's buttons (services.notices.compose.Action), one codec each.
FLOW_CANCEL = Codec(f"nf:{Action.CANCEL}")
FLOW_TARGET = Codec("nf", Word("target", (Action.ORG.value, Action.LEADERS.value)))
FLOW_UNIT = Codec(f"nf:{Action.UNIT}", Int("unit", 12))
FLOW_ACK = Codec(f"nf:{Action.ACK}", Word("ack", ("1", "0")))
FLOW_NOW = Codec(f"nf:{Action.NOW}")
FLOW_SEND = Codec(f"nf:{Action.SEND}")
ACKNOWLEDGE = Codec("na", Int("notice", 12))  # the recipient's button
LIST_VIEW = Codec("nv", Int("notice", 12))  # /notices: drill into one
LIST_REMIND = Codec("nr", Int("notice", 12))  # the drill-down: remind who has not acknowledged
# What the drill-down lists before "+N more": the message stays under Telegram's 4096.
MAX_DETAIL = 3600
# Telegram allows 4096 characters of text and 1024 of caption; the frame takes the rest.
MAX_TEXT = 3500
MAX_CAPTION = 700


def content_limit(media: bool) -> int:
    """The most characters a notice's text may have (its caption, with a photo or file)."""
    return MAX_CAPTION if media else MAX_TEXT


# --- the recipient's copy -------------------------------------------------------------------


def ack_label() -> str:
    return _("✅ Acknowledge")


def notice_text(view: NoticeCopy) -> str:
    if view.unit_names:
        head = _("📢 <b>Notice from {author}</b> · {unit}").format(
            author=escape(view.author), unit=escape(view.unit_names[-1]))
    else:
        head = _("📢 <b>Notice from {author}</b>").format(author=escape(view.author))
    lines = []
    if view.reminder:
        lines.append(_("🔔 <b>Reminder:</b> please read this notice and acknowledge it."))
    lines += [head, "", escape(view.text)] if view.text else [head]
    if view.acknowledged_at is not None:
        lines += ["", acknowledged_line(view.acknowledged_at, view.timezone or "UTC")]
    elif view.ack_required:
        lines += ["", _("<i>Please tap “Acknowledge” once you have read it.</i>")]
    return "\n".join(lines)


@payload_for.register
def notice_payload(view: NoticeCopy) -> Payload:
    """The copy a recipient gets, with the acknowledge button when one is asked for."""
    markup = (inline_keyboard([[(ack_label(), ACKNOWLEDGE.encode(view.notice_id))]])
              if view.ack_required and view.acknowledged_at is None else None)
    text = notice_text(view)
    if view.media_kind and view.media_file_id:
        spec = file_spec(file_id=view.media_file_id)
        make = photo_payload if view.media_kind == "photo" else document_payload
        return make(spec, caption=text, reply_markup=markup)
    return message_payload(text, reply_markup=markup)


def preview_payload(view: NoticeCopy) -> Payload:
    """The copy as the sender previews it: without the button, which would acknowledge
    nothing."""
    payload = notice_payload(view)
    payload.pop("reply_markup", None)
    return payload


def acknowledged_line(at: datetime, timezone: str) -> str:
    return _("✅ Acknowledged at {time}").format(time=escape(fmt_datetime(at, "short",
                                                                        tz=timezone)))


def ack_answer(status: str) -> str:
    """The short answer to a press of the acknowledge button (≤ 200 characters)."""
    if status == "acknowledged":
        return _("Thank you: your acknowledgement is recorded.")
    if status == "already":
        return _("You have already acknowledged this notice.")
    return _("This notice was not sent to you.")


# --- the /notice flow -----------------------------------------------------------------------


def not_allowed() -> str:
    return _("Only unit leaders and administrators can send notices.")


def cancel_row() -> list[tuple[str, str]]:
    return [(_("✖️ Cancel"), FLOW_CANCEL.encode())]


def ask_content() -> tuple[str, Buttons]:
    return (_("<b>New notice</b>\nSend the notice's text, or a photo or document with a "
              "caption. At most {text} characters of text, {caption} of caption.").format(
                  text=fmt_number(MAX_TEXT), caption=fmt_number(MAX_CAPTION)), [cancel_row()])


def content_problem(code: str) -> str:
    if code == "too_long":
        return _("That is too long: a notice's text may have at most {text} characters, a "
                 "caption {caption}. Send a shorter one.").format(
                     text=fmt_number(MAX_TEXT), caption=fmt_number(MAX_CAPTION))
    if code == "media":
        return _("Only a photo or a document (a file) can go with a notice. Send one of "
                 "those with a caption, or just text.")
    return _("The notice is empty: send its text, or a photo or document with a caption.")


def ask_target(units: list[tuple[int, tuple[str, ...]]], *, admin: bool) -> tuple[str, Buttons]:
    text = _("<b>Who gets it?</b> Pick a unit (it goes to the whole unit and the units below "
             "it), or send a unit's name.")
    rows: Buttons = []
    if admin:
        rows.append([(_("🏢 The whole organisation"), FLOW_TARGET.encode(Action.ORG))])
    rows += [[("📁 " + " / ".join(names[-2:])[:48], FLOW_UNIT.encode(unit_id))]
             for unit_id, names in units]
    label = _("👔 Leaders only (whole organisation)") if admin else _("👔 Leaders only")
    rows.append([(label, FLOW_TARGET.encode(Action.LEADERS))])
    rows.append(cancel_row())
    return text, rows


def unit_choices(units: list[tuple[int, tuple[str, ...]]]) -> tuple[str, Buttons]:
    if not units:
        return (_("None of the units you may send to has that name. Pick one above or send "
                  "another name."), [cancel_row()])
    rows: Buttons = [[("📁 " + " / ".join(names[-2:])[:48], FLOW_UNIT.encode(unit_id))]
                     for unit_id, names in units]
    return _("Which unit?"), [*rows, cancel_row()]


def target_label(names: tuple[str, ...], leaders_only: bool) -> str:
    where = escape(unit_path(names)) if names else _("the whole organisation")
    if leaders_only:
        return _("leaders of {where}").format(where=where)
    return where


def ask_ack() -> tuple[str, Buttons]:
    return (_("<b>Ask recipients to acknowledge it?</b> They get an “Acknowledge” button, and "
              "you see who has not pressed it."),
            [[(_("Yes, ask for acknowledgement"), FLOW_ACK.encode("1")),
              (pgettext("acknowledgement", "No"), FLOW_ACK.encode("0"))],
             cancel_row()])


def ask_when(timezone: str) -> tuple[str, Buttons]:
    return (_("<b>When?</b> Send it now, or write a time as you would say it: "
              "<code>18:30</code> (the next 18:30), <code>tomorrow 8pm</code>, "
              "<code>Dec 6 08:00</code>; time zone {zone}.").format(zone=escape(timezone)),
            [now_row(), cancel_row()])


def now_row() -> list[tuple[str, str]]:
    return [(_("🚀 Now"), FLOW_NOW.encode())]


def when_problem(code: str) -> str:
    if code == "past":
        return _("That time has passed. Send a later one, or tap “Now”.")
    if code == "too_far":
        return _("A notice can be scheduled at most 30 days ahead.")
    return _("{problem} Or tap “Now”.").format(problem=render_when.when_problem(code))


def preview_refused() -> str:
    return _("⚠️ Telegram did not take the preview, so this notice cannot go out as it is: "
             "nothing was sent. Try again in a minute, or shorten the text; /notice starts "
             "over, Cancel drops it.")


def preview_summary(*, target: str, total: int, reachable: int, ack: bool,
                    when: datetime | None, timezone: str) -> tuple[str, Buttons]:
    lines = [_("<b>Preview</b> (above: what recipients will see)"),
             _("To: {target}").format(target=target),
             ngettext("{n} recipient", "{n} recipients", total).format(n=fmt_number(total))]
    if total > reachable:
        lines.append(ngettext(
            "{n} of them cannot be reached (not linked, or blocked the bot)",
            "{n} of them cannot be reached (not linked, or blocked the bot)",
            total - reachable).format(n=fmt_number(total - reachable)))
    lines.append(_("Acknowledgement: asked") if ack else _("Acknowledgement: not asked"))
    lines.append(_("When: now") if when is None else _("When: {time}").format(
        time=escape(render_when.moment_text(when, timezone))))
    return "\n".join(lines), [[(_("📤 Send"), FLOW_SEND.encode())], cancel_row()]


def use_buttons() -> str:
    return _("Please answer with the buttons of the last step, or /cancel.")


def cancelled() -> str:
    return _("The notice was not sent.")


def form_expired() -> str:
    return _("This notice form has expired or was already sent. Send /notice to start again.")


def target_refused() -> str:
    return _("You cannot send a notice there: pick one of your own units.")


def no_audience() -> str:
    return _("Nobody would receive this notice. Pick another target.")


def scheduled(when: datetime, timezone: str) -> str:
    return _("🕒 Notice scheduled for {time}. You will get its progress here when it goes out.") \
        .format(time=escape(render_when.moment_text(when, timezone)))


# --- the sender's progress message ----------------------------------------------------------


def progress_text(notice_id: int, p: Progress, *, ack: bool = True) -> str:
    head = (_("📤 Notice #{id}: sending…") if not p.done
            else _("✅ Notice #{id}: sending finished.")).format(id=notice_id)
    figures = _("sent {sent} / {total} · failed {failed} · blocked {blocked}").format(
        sent=fmt_number(p.sent), total=fmt_number(p.queued), failed=fmt_number(p.failed),
        blocked=fmt_number(p.blocked))
    lines = [head, figures]
    if p.unreachable:
        lines.append(ngettext("{n} recipient cannot be reached (not linked or blocked)",
                              "{n} recipients cannot be reached (not linked or blocked)",
                              p.unreachable).format(n=fmt_number(p.unreachable)))
    if p.done:
        lines.append(_("See /notices for who has acknowledged.") if ack
                     else _("No acknowledgement was asked; /notices shows its delivery."))
    return "\n".join(lines)


# --- /notices -------------------------------------------------------------------------------


def _figures(line: NoticeLine) -> str:
    p = line.figures
    if line.status == "scheduled":
        return _("scheduled")
    text = _("delivered {sent} / {total}").format(sent=fmt_number(p.sent),
                                                  total=fmt_number(p.recipients))
    if line.ack_required:
        text += " · " + _("acknowledged {n} / {total}").format(
            n=fmt_number(p.acknowledged), total=fmt_number(p.recipients))
    return text


def _head(line: NoticeLine, timezone: str) -> str:
    return _("#{id} · {time} · {author} → {target}").format(
        id=line.notice_id, time=escape(fmt_datetime(line.at, "short", tz=timezone)),
        author=escape(line.author), target=target_label(line.target, line.leaders_only))


def notices_list(lines: list[NoticeLine], timezone: str) -> tuple[str, Buttons]:
    if not lines:
        return _("No notices yet. Send one with /notice."), []
    out = [_("<b>Recent notices</b>")]
    for line in lines:
        out += ["", _head(line, timezone), f"<i>{escape(line.snippet)}</i>", _figures(line)]
    buttons = [[(f"🔎 #{line.notice_id}", LIST_VIEW.encode(line.notice_id))]
               for line in lines]
    return "\n".join(out), buttons


def _reason(reason: str) -> str:
    if reason == "unlinked":
        return _("never linked")
    if reason == "blocked":
        return _("blocked the bot")
    return _("delivery failed")


def _people(groups: list[tuple[tuple[str, ...], list[Person]]], label: Any,
            budget: int) -> list[str]:
    """One line per unit, cut to `budget` characters with "… and N more" at the end."""
    lines: list[str] = []
    omitted = 0
    for names, people in groups:
        prefix = "📁 " + colon(aside(escape(unit_path(names)), fmt_number(len(people))), "")
        parts: list[str] = []
        length = len(prefix)
        for i, person in enumerate(people):
            piece = label(person)
            if length + len(piece) + 2 > budget - 40:
                omitted += len(people) - i
                break
            parts.append(piece)
            length += len(piece) + 2
        if parts:
            lines.append(prefix + join_list(parts))
            budget -= length + 1
    if omitted:
        lines.append(ngettext("… and {n} more", "… and {n} more", omitted).format(
            n=fmt_number(omitted)))
    return lines


def notice_detail(d: NoticeDetail, timezone: str) -> tuple[str, Buttons]:
    out = [_head(d.line, timezone), f"<i>{escape(d.line.snippet)}</i>", _figures(d.line)]
    budget = MAX_DETAIL - sum(len(x) for x in out)
    if d.line.ack_required:
        # Those who cannot be reached keep a share of the message whatever the rest needs.
        share = budget * 2 // 3 if d.unreachable else budget
        out += ["", _("<b>Not acknowledged yet</b>") if d.pending
                else _("Everyone reached has acknowledged.")]
        pending = _people(d.pending, lambda p: escape(p.name), share)
        out += pending
        budget -= sum(len(x) + 1 for x in pending)
    if d.unreachable:
        out += ["", _("<b>Cannot be reached</b> (tell them another way)")]
        out += _people(d.unreachable,
                       lambda p: aside(escape(p.name), _reason(p.reason)), budget)
    buttons: Buttons = []
    if d.can_remind and d.pending:
        buttons.append([(_("🔔 Remind who has not acknowledged"),
                         LIST_REMIND.encode(d.line.notice_id))])
    return "\n".join(out), buttons


def notice_not_found() -> str:
    return _("That notice does not exist, or is not one you may see.")


def remind_result(result: RemindResult, timezone: str) -> str:
    if result.status == "sent":
        return ngettext("Reminder sent to {n} member who has not acknowledged.",
                        "Reminder sent to {n} members who have not acknowledged.",
                        result.count).format(n=fmt_number(result.count))
    if result.status == "too_soon":
        assert result.next_at is not None
        return _("A reminder for this notice already went out in the last hour. The next one "
                 "is possible at {time}.").format(
                     time=escape(fmt_datetime(result.next_at, "short", tz=timezone)))
    if result.status == "nobody":
        return _("Nobody to remind: everyone reached has acknowledged.")
    return notice_not_found()
