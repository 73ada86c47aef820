"""Texts (HTML) and buttons of /faq_add: turning an answered question into a knowledge-base
entry. The proposal's texts are in the question's language; the frame in the admin's."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import _, current_locale
from bot.render.callbacks import Codec, Int, Token
from bot.render.faq import entry_answer, stale_button
from bot.render.payloads import Buttons
from bot.services.faq.kb import MAX_ID, Category, Entry
from bot.services.faq.promote import FAQ_ADD_TTL, Outcome, Proposal, Result, Step
from bot.services.faq.service import Faq

# The form's buttons, one codec per action ("fa:c:<question>:<topic>", "fa:s:<question>"…).
_QID = Int("question", 9)
TOPIC = Codec("fa:c", _QID, Token("topic", MAX_ID, r"[a-z0-9-]"))
KEEP = Codec("fa:k", _QID)
EDIT_QUESTION = Codec("fa:q", _QID)
EDIT_ANSWER = Codec("fa:a", _QID)
SAVE = Codec("fa:s", _QID)
CANCEL = Codec("fa:x", _QID)
_ACTIONS = {"c": TOPIC, "k": KEEP, "q": EDIT_QUESTION, "a": EDIT_ANSWER, "s": SAVE,
            "x": CANCEL}


def parse_faq_add_callback(data: str | None) -> tuple[str, int, str] | None:
    """(action, question id, topic) of a /faq_add button; None for anything else."""
    for action, codec in _ACTIONS.items():
        values = codec.decode(data)
        if values is not None:
            return action, values[0], values[1] if len(values) > 1 else ""
    return None


def _quote(text: str, limit: int) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"<blockquote>{escape(short)}</blockquote>"


def usage() -> str:
    return _("Send <code>/faq_add ID</code> with the number of an answered question "
             "(/questions shows numbers), optionally followed by the new entry's id: "
             "<code>/faq_add 12 gatherings-canteen</code>.")


def _cancel(question_id: int) -> tuple[str, str]:
    return _("✖ Cancel"), CANCEL.encode(question_id)


def _category_title(categories: Sequence[Category], category_id: str) -> str:
    found = next((c for c in categories if c.id == category_id), None)
    return escape(found.title if found else category_id)


def step_text(proposal: Proposal, categories: Sequence[Category]) -> str:
    """What the admin sees at the proposal's step."""
    qid = proposal.question_id
    if proposal.step is Step.CATEGORY:
        return (_("<b>New rules entry from question #{id}</b> (language: {locale})").format(
                    id=qid, locale=escape(proposal.locale))
                + "\n\n" + _("The question:") + "\n" + _quote(proposal.asked, 300)
                + "\n" + _("The answer:") + "\n" + _quote(proposal.answered, 2500)
                + "\n" + _("Step 1 of 4: choose its topic."))
    if proposal.step is Step.QUESTION:
        return (_("Step 2 of 4: the question, as members will see it:") + "\n"
                + f"<b>{escape(proposal.question)}</b>\n\n"
                + _("Keep it, or send a better one (one line, at most 300 characters)."))
    if proposal.step is Step.ANSWER:
        return (_("Step 3 of 4: the answer:") + "\n\n" + proposal.answer.strip() + "\n\n"
                + _("Keep it, or send a better one (your formatting is kept; at most 3500 "
                    "characters)."))
    entry = Entry(id=proposal.entry_id, category=proposal.category,
                  question=proposal.question, paraphrases=list(proposal.paraphrases),
                  answer=proposal.answer)
    return (_("Step 4 of 4: entry <code>{entry}</code> in the topic “{topic}”, as members "
              "will see it:").format(entry=escape(proposal.entry_id),
                                     topic=_category_title(categories, proposal.category))
            + "\n\n" + entry_answer(entry))


def step_buttons(proposal: Proposal, categories: Sequence[Category]) -> Buttons:
    qid = proposal.question_id
    if proposal.step is Step.CATEGORY:
        return [*([(c.title, TOPIC.encode(qid, c.id))] for c in categories), [_cancel(qid)]]
    if proposal.step in (Step.QUESTION, Step.ANSWER):
        return [[(_("✅ Keep it"), KEEP.encode(qid))], [_cancel(qid)]]
    return [[(_("💾 Save"), SAVE.encode(qid))],
            [(_("✏️ Question"), EDIT_QUESTION.encode(qid)),
             (_("✏️ Answer"), EDIT_ANSWER.encode(qid))],
            [_cancel(qid)]]


def topics(faq: Faq, locale: str) -> list[Category]:
    """The topics of the question's knowledge base, titled in the admin's language (ids are
    the same in each)."""
    kb = faq.kb(current_locale()) or faq.kb(locale)
    own = faq.kb(locale)
    ids = {c.id for c in own.categories} if own else set()
    return [c for c in kb.categories if c.id in ids] if kb else []


def shown(result: Result, faq: Faq) -> tuple[str, Buttons | None]:
    """What the admin sees after a step: the step the proposal is at (with the problems of
    what was refused), or the outcome."""
    if result.outcome in (Outcome.STEP, Outcome.INVALID) and result.proposal is not None:
        categories = topics(faq, result.proposal.locale)
        text = step_text(result.proposal, categories)
        if result.outcome is Outcome.INVALID and result.problems:
            text = problems_text(result.problems) + "\n\n" + text
        return text, step_buttons(result.proposal, categories)
    if result.outcome is Outcome.SAVED and not result.in_effect:
        return left_out(result.left_out), None
    return outcome_text(result), None


def problems_text(problems: Sequence[str]) -> str:
    lines = [f"• {escape(p[:300])}" for p in problems[:10]]
    return "\n".join([_("<b>The knowledge base would not take this:</b>"), *lines])


def outcome_text(result: Result) -> str:
    """Every outcome but STEP and INVALID (shown with the step)."""
    qid, entry = result.question_id, escape(result.entry_id or "")
    if result.outcome is Outcome.SAVED:
        assert result.proposal is not None
        return _("✅ Saved as entry <code>{entry}</code> ({locale}): members' questions find "
                 "it from now on. To keep it in the files, run <code>selfreport faq "
                 "export-additions</code> and merge its output into faq.yaml.").format(
                     entry=entry, locale=escape(result.proposal.locale))
    texts = {
        Outcome.CANCELLED: _("Cancelled: nothing was added to the knowledge base."),
        Outcome.NOT_FOUND: _("There is no question #{id}. /questions lists the open ones."),
        Outcome.OPEN: _("Question #{id} has not been answered yet. Answer it first "
                        "(<code>/answer {id} …</code>), then turn the answer into an entry."),
        Outcome.RUMOUR: _("#{id} is a message sent for checking, not a question: it cannot "
                          "become a rules entry."),
        Outcome.ALREADY: _("Question #{id} is already in the knowledge base as entry "
                           "<code>{entry}</code>."),
        Outcome.BAD_ID: _("<code>{entry}</code> cannot be an entry id: use a-z, 0-9 and "
                          "“-”, at most 40 characters."),
        Outcome.CLASH: _("There already is an entry <code>{entry}</code>: nothing was added. "
                         "Start again with another id: <code>/faq_add {id} another-id</code>."),
        Outcome.UNAVAILABLE: _("There is no knowledge base in the question's language right "
                               "now: nothing was added."),
        Outcome.EXPIRED: _("This form expired after {minutes} minutes without a step; nothing "
                           "was added. Start again with /faq_add."),
    }
    if result.outcome in texts:
        return texts[result.outcome].format(
            id=qid, entry=entry, minutes=int(FAQ_ADD_TTL.total_seconds() // 60))
    return stale_button()


def left_out(problems: Sequence[str]) -> str:
    """After a reload: promoted entries the files no longer take (merged, or clashing)."""
    lines = [f"• {escape(p[:300])}" for p in problems[:10]]
    return "\n".join([_("Promoted entries left out (the files win; once merged, drop them "
                        "with <code>selfreport faq drop-additions</code>):"), *lines])
