"""Texts (HTML) and buttons for the rules Q&A, the rumour check and the questions to people.

Knowledge-base answers and facts are HTML already (validated when the files load); anything
a person typed is escaped. Keyboards are rows of (label, callback_data); handlers make the
Telegram objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.db.models import QuestionKind
from bot.i18n import _, fmt_date, fmt_datetime, fmt_number, ngettext, unit_path
from bot.render.callbacks import Codec, Int, Token, Word
from bot.render.payloads import (
    MAX_CALLBACK_DATA,
    Buttons,
    Payload,
    message_payload,
    payload_for,
)
from bot.services.faq.kb import MAX_ID, Category, Entry, Rumour
from bot.services.faq.questions import (
    MAX_ANSWER,
    MAX_PER_DAY,
    MAX_QUESTION,
    AnswerResult,
    AnswerStatus,
    AnswerToMember,
    AskResult,
    AskStatus,
    HandOver,
    OpenQuestion,
)

_QUOTE = 300  # characters of a question quoted back in a list or an answer
MESSAGE_BUDGET = 4000  # of Telegram's 4096, for lists cut to fit
MAX_CALLBACK_BYTES = MAX_CALLBACK_DATA

# The Q&A's buttons, one codec per action (the data is what it always was: "fq:c:<topic>").
# Knowledge-base ids are at most MAX_ID (40) characters of [a-z0-9-].
_KB_ID = r"[a-z0-9-]"
MENU = Codec("fq:m")
TOPIC = Codec("fq:c", Token("topic", MAX_ID, _KB_ID))
ENTRY = Codec("fq:e", Token("entry", MAX_ID, _KB_ID))
CANDIDATE = Codec("fq:a", Token("entry", MAX_ID, _KB_ID))
VOTE = Codec("fq:v", Token("entry", MAX_ID, _KB_ID), Word("helpful", ("1", "0")))
SEND_RUMOUR = Codec("fq:rs", Int("question", 9))
# 👎 on an answer to a question kept as a draft; "ask a person" for a kept question.
NOT_HELPFUL = Codec("fq:n", Token("entry", MAX_ID, _KB_ID), Int("question", 9))
ASK_PERSON = Codec("fq:q", Int("question", 9))
_ACTIONS = {"m": MENU, "c": TOPIC, "e": ENTRY, "a": CANDIDATE, "v": VOTE, "rs": SEND_RUMOUR,
            "n": NOT_HELPFUL, "q": ASK_PERSON}


def parse_faq_callback(data: str | None) -> tuple[str, str, str] | None:
    """(action, argument, flag) of a Q&A button; None for anything else."""
    for action, codec in _ACTIONS.items():
        values = codec.decode(data)
        if values is not None:
            parts = [str(v) for v in values] + ["", ""]
            return action, parts[0], parts[1]
    return None




def _quote(text: str, limit: int = _QUOTE) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"<blockquote>{escape(short)}</blockquote>"


def _source(source: str | None, day: date | None) -> str:
    if source and day:
        line = _("Source: {source}, {date}").format(source=escape(source), date=fmt_date(day))
    elif source:
        line = _("Source: {source}").format(source=escape(source))
    elif day:
        line = _("As of {date}").format(date=fmt_date(day))
    else:
        return ""
    return f"\n\n<i>{line}</i>"


# --- answers -------------------------------------------------------------------------------


def entry_answer(entry: Entry, *, matched: bool = False) -> str:
    """An entry's answer; `matched` says which question a free-text question was taken for."""
    if matched:
        head = _("Matched: <b>{question}</b>").format(question=escape(entry.question))
    else:
        head = f"<b>{escape(entry.question)}</b>"
    return f"{head}\n\n{entry.answer.strip()}{_source(entry.source, entry.date)}"


def vote_buttons(entry: Entry, question_id: int | None = None) -> Buttons:
    """👍 / 👎; with the member's question kept as a draft, 👎 offers to hand it over."""
    down = (NOT_HELPFUL.encode(entry.id, question_id) if question_id is not None
            else VOTE.encode(entry.id, "0"))
    return [[(_("👍 Helpful"), VOTE.encode(entry.id, "1")), (_("👎 Not helpful"), down)]]


def not_helpful_text() -> str:
    return _("Sorry that did not help. I can pass your question, as you wrote it, to your "
             "unit's contacts; their answer will come here.")


def ask_person_button(question_id: int) -> Buttons:
    return [[(_("🙋 Ask my unit's contacts"), ASK_PERSON.encode(question_id))]]


def link_to_ask() -> str:
    return _("To ask your unit's contacts, link your account with /start.")


def vote_thanks(counted: bool) -> str:
    if counted:
        return _("Thank you for your feedback!")
    return _("You have already rated this answer today. Thank you!")


def candidates_text(*, linked: bool = True) -> str:
    if linked:
        return _("I am not sure which of these you mean. Tap the question closest to yours, "
                 "or, if none of them is it, ask your unit's contacts:")
    return _("I am not sure which of these you mean. Tap the question closest to yours, or "
             "ask again in other words:") + "\n\n" + link_to_ask()


def candidate_buttons(entries: Sequence[Entry], question_id: int | None = None) -> Buttons:
    rows: Buttons = [[(e.question, CANDIDATE.encode(e.id))] for e in entries[:3]]
    if question_id is not None:
        rows.append([(_("🙋 None of these: ask my unit's contacts"),
                      ASK_PERSON.encode(question_id))])
    return rows


def passed_on(result: AskResult, *, rumour: bool) -> str:
    """What the member hears after tapping a button that hands a kept message over."""
    if result.status is AskStatus.SENT and rumour:
        return _("I have sent the message to your unit's contacts for a look (#{id}). Their "
                 "answer will come here.").format(id=result.question_id)
    if result.status is AskStatus.SENT:
        return _("I have passed your question on to your unit's contacts (question #{id}). "
                 "Their answer will come here.").format(id=result.question_id)
    if result.status is AskStatus.NO_RECIPIENTS:
        return _("I have stored it (#{id}); your unit has no contact who can receive it right "
                 "now, so an administrator will pick it up.").format(id=result.question_id)
    if result.status is AskStatus.NOT_LINKED:
        return link_to_ask()
    if result.status is AskStatus.TOO_MANY:
        return _("You have already sent {n} questions to your unit's contacts today. Please "
                 "wait for their answers.").format(n=MAX_PER_DAY)
    return handed_over(result)


def question_too_long(length: int) -> str:
    return _("That is too long for a question ({length} characters; at most {limit}). "
             "Please ask in a sentence or two.").format(length=fmt_number(length),
                                                      limit=fmt_number(MAX_QUESTION))


def handed_over(result: AskResult) -> str:
    """What the member hears after a question went (or did not go) to a person."""
    if result.status is AskStatus.SENT:
        return _("I have no answer to that in the rules yet, so I have passed your question "
                 "on to your unit's contacts (question #{id}). Their answer will come here."
                 ).format(id=result.question_id)
    if result.status is AskStatus.NO_RECIPIENTS:
        return _("I have no answer to that in the rules yet. I have stored your question "
                 "(#{id}); your unit has no contact who can receive it right now, so an "
                 "administrator will pick it up.").format(id=result.question_id)
    if result.status is AskStatus.NOT_LINKED:
        return _("I have no answer to that in the rules yet. I can pass questions on to your "
                 "unit's contacts once your account is linked to your unit: send /start and "
                 "share your phone number. If your number is not on the roster, you can ask "
                 "to join your unit there.")
    if result.status is AskStatus.TOO_MANY:
        return _("I have no answer to that in the rules yet, and you have already sent {n} "
                 "questions to your unit's contacts today. Please wait for their answers."
                 ).format(n=MAX_PER_DAY)
    if result.status is AskStatus.TOO_LONG:
        return question_too_long(MAX_QUESTION + 1)
    if result.status is AskStatus.STALE:
        return _("This message was already sent, or it is no longer available.")
    return _("Please write your question as text.")


def faq_unavailable() -> str:
    return _("The rules knowledge base is not available right now. Please try again later.")


def stale_button() -> str:
    return _("This button is no longer valid.")


# --- /rules menu ---------------------------------------------------------------------------


def menu_text() -> str:
    return _("<b>Rules and answers</b>\nChoose a topic. You can also simply write your "
             "question to me in your own words.")


def menu_buttons(categories: Sequence[Category]) -> Buttons:
    return [[(c.title, TOPIC.encode(c.id))] for c in categories]


def category_text(category: Category, count: int) -> str:
    if not count:
        return f"<b>{escape(category.title)}</b>\n" + _("No questions in this topic yet.")
    return f"<b>{escape(category.title)}</b>\n" + _("Choose a question:")


def back_label() -> str:
    return _("⬅ Back")


def category_buttons(entries: Sequence[Entry]) -> Buttons:
    return [*([(e.question, ENTRY.encode(e.id))] for e in entries),
            [(back_label(), MENU.encode())]]


def entry_buttons(entry: Entry) -> Buttons:
    return [[(back_label(), TOPIC.encode(entry.category))]]


# --- rumour check --------------------------------------------------------------------------


def verdict_label(verdict: str) -> str:
    return {
        "false": _("False"),
        "misleading": _("Misleading"),
        "unproven": _("Unproven"),
    }.get(verdict, escape(verdict))


def _rumour_body(rumour: Rumour) -> str:
    return (_("Claim: {claim}").format(claim=f"<i>{escape(rumour.claim)}</i>") + "\n"
            + _("Verdict: {verdict}").format(verdict=f"<b>{verdict_label(rumour.verdict)}</b>")
            + f"\n\n{rumour.fact.strip()}{_source(rumour.source, rumour.date)}")


def rumour_match(rumour: Rumour) -> str:
    return _("⚠️ <b>This is a known rumour.</b>") + "\n\n" + _rumour_body(rumour) + "\n\n" + \
        _("Please do not pass it on.")


def rumour_near(rumour: Rumour, *, linked: bool | None = None) -> str:
    text = _("🔎 <b>This is similar to a known rumour, but not the same.</b> The closest one "
             "I know:") + "\n\n" + _rumour_body(rumour)
    if linked is None:
        return text
    return text + "\n\n" + _rumour_ask(linked)


def _rumour_ask(linked: bool) -> str:
    if linked:
        return _("Not sure? Send it to your unit's contacts for a look.")
    return _("Link your account with /start to send such messages to your unit's contacts "
             "for a look.")


def rumour_none(*, linked: bool) -> str:
    text = _("ℹ️ This is not a known rumour — which does not make it true. Please do not "
             "create, believe or spread unverified information: rely on official notices "
             "from your unit and the health authorities.")
    return text + "\n\n" + _rumour_ask(linked)


def rumour_send_buttons(question_id: int) -> Buttons:
    return [[(_("📨 Send it to my unit's contacts"), SEND_RUMOUR.encode(question_id))]]


def check_usage() -> str:
    return _("Send <code>/check</code> followed by the message you want to check, or simply "
             "forward the message to me.")


def nothing_to_check() -> str:
    return _("There is no text in this message to check. Forward a message with text, or "
             "use <code>/check</code> followed by the text.")


# --- questions to people -------------------------------------------------------------------


@payload_for.register
def handover_payload(view: HandOver) -> Payload:
    """The question as a contact gets it (in the contact's language: bot.outbox.send)."""
    who = _("{name} ({unit})").format(name=escape(view.asker.name),
                                      unit=escape(unit_path(view.asker.unit_path)))
    if view.kind is QuestionKind.RUMOUR:
        head = _("🔎 <b>Message #{id} to check</b>, forwarded by {who}. The rumour list "
                 "does not know it:").format(id=view.question_id, who=who)
    else:
        head = _("❓ <b>Question #{id}</b> from {who}, which the rules do not answer:"
                 ).format(id=view.question_id, who=who)
    how = _("Reply to this message with your answer, or send <code>/answer {id} your "
            "answer</code>. The answer goes to the member.").format(id=view.question_id)
    return message_payload(f"{head}\n{_quote(view.text, MAX_QUESTION)}\n{how}")


@payload_for.register
def answer_payload(view: AnswerToMember) -> Payload:
    """The answer as the member gets it (in the member's language: bot.outbox.send)."""
    if view.kind is QuestionKind.RUMOUR:
        head = _("💬 <b>Your unit's contacts looked at the message you sent (#{id}):</b>"
                 ).format(id=view.question_id)
    else:
        head = _("💬 <b>Answer to your question #{id}:</b>").format(id=view.question_id)
    return message_payload(f"{head}\n{_quote(view.question)}\n{escape(view.answer)}")


def fit_list(head: list[str], items: Sequence[str], total: int, tail: Sequence[str] = ()) -> str:
    """As many items as fit in one message (HTML counted, which is never less than the
    visible text), then "…and N more"."""
    lines, used = list(head), sum(len(x) + 1 for x in (*head, *tail)) + 40
    shown = 0
    for item in items:
        if used + len(item) + 1 > MESSAGE_BUDGET:
            break
        lines.append(item)
        used, shown = used + len(item) + 1, shown + 1
    if total > shown:
        lines.append(_("…and {n} more.").format(n=total - shown))
    return "\n".join([*lines, *tail])


def questions_list(items: Sequence[OpenQuestion], total: int, tz: str) -> str:
    if not items:
        return _("There are no open questions in your units.")
    head = ngettext("<b>{n} open question</b>, oldest first:",
                    "<b>{n} open questions</b>, oldest first:", total).format(n=total)
    lines = [
        f"\n{'🔎' if item.kind is QuestionKind.RUMOUR else '❓'} <b>#{item.id}</b> · "
        f"{escape(item.asker.name)} · {escape(unit_path(item.asker.unit_path))} · "
        f"{fmt_datetime(item.created_at, tz=tz)}\n{_quote(item.text, 200)}"
        for item in items]
    how = "\n" + _("Answer with <code>/answer ID your answer</code>, or reply to the "
                   "question's message.")
    return fit_list([head], lines, total, [how])


def answer_usage() -> str:
    return _("Send <code>/answer ID your answer</code>, for example <code>/answer 12 Yes, "
             "the canteen is open from 11:30.</code> /questions lists the open questions.")


def answer_result(result: AnswerResult) -> str:
    qid = result.question_id
    return {
        AnswerStatus.ANSWERED: _("Thank you. Your answer to question #{id} is on its way to "
                                 "the member."),
        AnswerStatus.NOT_FOUND: _("There is no question #{id}. /questions lists the open "
                                  "ones."),
        AnswerStatus.OUT_OF_SCOPE: _("Question #{id} was asked outside your units: you "
                                     "cannot answer it."),
        AnswerStatus.ALREADY: _("Question #{id} has already been answered."),
        AnswerStatus.TOO_LONG: _("Your answer is too long: at most {limit} characters, "
                                 "please."),
        AnswerStatus.EMPTY: _("Your answer is empty."),
    }[result.status].format(id=qid, limit=MAX_ANSWER)


def not_allowed() -> str:
    return _("Only unit leaders, their reporting contacts and administrators can do this.")


def admins_only() -> str:
    return _("Only administrators can do this.")
