"""The report form's steps, summaries, /history, and the callback data of the form's buttons.

Form buttons carry ``rf:<form id>:<step counter>:<action>[:<arg>]`` (the `FORM` codec; checked
against the Draft by the service); "amend" buttons under a stored report carry
``ra:<date>:<choice>`` (the `AMEND` codec).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from html import escape, unescape

from bot.db.models import ReportStatus
from bot.i18n import (
    _,
    fmt_date,
    fmt_number,
    fmt_temperature,
    fmt_time,
    join_list,
    join_sentences,
    pgettext,
)
from bot.render.callbacks import Codec, Int, Token, Word
from bot.render.payloads import Buttons
from bot.render.prompts import DAY, ReportChoice, iso_day, prompt_payload, report_buttons
from bot.services.members.settings import InvalidText, TextError
from bot.services.reports.choice import Today
from bot.services.reports.form import (
    NORMAL,
    QUICK_TEMPERATURES,
    Form,
    Outcome,
    Step,
)
from bot.services.reports.store import (
    HISTORY_DAYS,
    MAX_NOTE,
    SYMPTOMS,
    UNWELL,
    HistoryDay,
    PersonHealth,
    ReportInput,
    view,
)
from bot.services.reports.temperature import MAX_C, MIN_C, TemperatureError, TemperatureErrorCode

FORM_ACTIONS = ("w", "wd", "t", "s", "sd", "ns", "nc", "f", "fd", "ok", "re", "x")
MAX_FORM_ARG = 12


@dataclass(frozen=True)
class FormPress(Token):
    """A form button's action and, for some, its argument: ``w:3``, ``t:36.5``, ``ok``."""

    def regex(self) -> str:
        return (Word(self.name, FORM_ACTIONS).regex()
                + f"(?::[a-z0-9_.]{{1,{MAX_FORM_ARG}}})?")

    def longest(self) -> int:
        return max(len(a) for a in FORM_ACTIONS) + 1 + MAX_FORM_ARG


FORM = Codec("rf", Token("form", 6, "[0-9a-f]"), Int("n", 6), FormPress("press", 0))
FORM_PATTERN = FORM.pattern
AMEND = Codec("ra", DAY, Word("choice", tuple(c.value for c in (
    ReportChoice.OK, ReportChoice.SICK, ReportChoice.OTHER))))
AMEND_PATTERN = AMEND.pattern


def form_callback(form: Form, action: str, arg: str = "") -> str:
    return FORM.encode(form.id, form.n, f"{action}:{arg}" if arg else action)


def parse_form_callback(data: str | None) -> tuple[str, int, str, str] | None:
    """(form id, step counter, action, argument); None for anything we never send."""
    values = FORM.decode(data)
    if values is None:
        return None
    form_id, n, press = values
    action, _sep, arg = press.partition(":")
    return form_id, n, action, arg


def amend_callback(day: date, choice: ReportChoice) -> str:
    return AMEND.encode(day.isoformat(), choice)


def parse_amend_callback(data: str | None) -> tuple[date, ReportChoice] | None:
    values = AMEND.decode(data)
    if values is None:
        return None
    day = iso_day(values[0])
    return None if day is None else (day, ReportChoice(values[1]))


# --- words -----------------------------------------------------------------------------------

def symptom_label(key: str) -> str:
    return {
        "fever": pgettext("symptom", "fever"),
        "cough": pgettext("symptom", "cough"),
        "sore_throat": pgettext("symptom", "sore throat"),
        "fatigue": pgettext("symptom", "fatigue"),
        "breath": pgettext("symptom", "shortness of breath"),
        "taste_smell": pgettext("symptom", "loss of taste or smell"),
        "diarrhoea": pgettext("symptom", "diarrhoea"),
        "other": pgettext("symptom", "other symptom"),
        UNWELL: pgettext("symptom", "unwell, details not given"),
    }.get(key, key)


def short_flags(*, contact_case: bool, travel: bool, isolation: bool) -> list[str]:
    """A report's flags as a case line names them (the digest, the open alerts' list)."""
    return [label for on, label in ((contact_case, _("contact with a case")),
                                    (travel, _("travel")), (isolation, _("in isolation")))
            if on]


def flag_label(key: str) -> str:
    return {
        "contact_case": _("Contact with a confirmed or suspected case"),
        "travel": _("Travel outside the city"),
        "isolation": _("In isolation or quarantine"),
    }.get(key, key)


def person_name(p: PersonHealth | None, *, relation: str = "", name: str = "") -> str:
    """"You" for the member, "spouse Li Na" for a household entry (escaped)."""
    if p is not None:
        relation, name = p.relation, p.name
        if p.household_id is None and not relation:
            return escape(_("You"))
    if not relation:
        return escape(_("You"))
    return escape(_("{relation} {name}").format(relation=relation, name=name))


def temperature_text(value: Decimal) -> str:
    return fmt_temperature(value)


def person_line(p: PersonHealth) -> str:
    parts = []
    if p.temperature is not None:
        parts.append(temperature_text(p.temperature))
    parts += [symptom_label(s) for s in p.symptoms]
    health = join_list(parts) if parts else _("well")
    line = "• " + _("{person}: {health}").format(person=person_name(p), health=escape(health))
    if p.note:
        line += " — " + escape(_("“{note}”").format(note=p.note))
    return line


def report_lines(entry: ReportInput) -> list[str]:
    status = entry.status
    lines = [_("⚠ Something to watch") if status is ReportStatus.ABNORMAL
             else _("✓ Everyone is well")]
    lines += [person_line(p) for p in entry.people]
    flags = [key for key, on in (("contact_case", entry.contact_case), ("travel", entry.travel),
                                 ("isolation", entry.isolation)) if on]
    lines += [f"• {escape(flag_label(f))}" for f in flags]
    return lines


def saved_text(entry: ReportInput, day: date, when: datetime, timezone: str, *,
               late: bool, amended: bool) -> str:
    head = (_("✅ Report amended at {time}") if amended else _("✅ Reported at {time}")).format(
        time=fmt_time(when, "short", tz=timezone))
    lines = [f"<b>{escape(head)}</b>", escape(fmt_date(day, "long"))]
    if late:
        lines.append(escape(_("(after the deadline: marked late)")))
    return "\n".join([*lines, "", *report_lines(entry)])


def current_report_text(entry: ReportInput, day: date, when: datetime, timezone: str) -> str:
    head = _("You have already reported for {date} (last at {time}):").format(
        date=fmt_date(day, "long"), time=fmt_time(when, "short", tz=timezone))
    tail = _("To change it, tap how things are now.")
    return "\n".join([f"<b>{escape(head)}</b>", *report_lines(entry), "", escape(tail)])


def today_message(t: Today) -> tuple[str, Buttons]:
    """/report's text and buttons: the current report with amend buttons, or the question."""
    if t.report is not None:
        text = current_report_text(view(t.report).entry, t.day, t.report.updated_at,
                                   t.schedule.timezone)
        return text, amend_buttons(t.day)
    text = prompt_payload(name=t.name, day=t.day, offer_same=t.offer_same)["text"]
    return text, [[b] for b in report_buttons(t.day, offer_same=t.offer_same)]


def amend_buttons(day: date) -> Buttons:
    return [[(_("✅ Everyone is well now"), amend_callback(day, ReportChoice.OK))],
            [(_("🤒 Someone is unwell"), amend_callback(day, ReportChoice.SICK))],
            [(_("📝 Something else to report"), amend_callback(day, ReportChoice.OTHER))]]


def already_reported(day: date, today: date, when: datetime, timezone: str) -> str:
    """A callback answer: plain text, short."""
    time = fmt_time(when, "short", tz=timezone)
    if day == today:
        return _("You have already reported today (at {time}). Send /report to change "
                 "it.").format(time=time)
    return _("You have already reported for {date} (at {time}).").format(
        date=fmt_date(day, "long"), time=time)


# --- the form --------------------------------------------------------------------------------

def _toggle(on: bool, label: str) -> str:
    return ("☑️ " if on else "⬜ ") + label


def _cancel(form: Form) -> list[tuple[str, str]]:
    return [(_("✖ Cancel"), form_callback(form, "x"))]


def form_step(form: Form) -> tuple[str, Buttons]:
    """The text and buttons of the form's current step."""
    day = escape(fmt_date(form.day, "long"))
    who = person_name(form.person.health())
    mine = form.person.household_id is None and not form.person.relation
    if form.step is Step.WHO:
        text = _("Report for {date}. <b>Who is unwell?</b> Tap everyone who is, then "
                 "“Next”. Everyone you do not tap is reported as healthy.").format(date=day)
        # Button labels are plain text: the name as typed, not HTML-escaped.
        rows = [[(_toggle(i in form.who, unescape(person_name(p.health()))),
                  form_callback(form, "w", str(i)))] for i, p in enumerate(form.people)]
        return text, [*rows, [(_("Next ➡"), form_callback(form, "wd"))], _cancel(form)]
    if form.step is Step.TEMP:
        question = _("<b>Your temperature?</b>") if mine else _(
            "<b>Temperature of {person}?</b>").format(person=who)
        text = join_sentences([question, _("Tap one, or type it (for example 37.6 or 99.5°F).")])
        if form.person.was is not None:  # "same as yesterday" after a fever: today's, please
            text += "\n" + escape(_("Yesterday: {temperature}. Please give today's reading.")
                                  .format(temperature=temperature_text(Decimal(
                                      form.person.was))))
        quick = [(fmt_number(Decimal(t), "0.0"), form_callback(form, "t", t))
                 for t in QUICK_TEMPERATURES]
        return text, [quick[:3], quick[3:] + [(_("Normal"), form_callback(form, "t", NORMAL))],
                      _cancel(form)]
    if form.step is Step.SYMPTOMS:
        question = _("<b>Your symptoms?</b>") if mine else _(
            "<b>Symptoms of {person}?</b>").format(person=who)
        text = join_sentences([question, _("Tap all that apply, then “Done”.")])
        chosen = form.person.symptoms
        toggles = [(_toggle(s in chosen, symptom_label(s)), form_callback(form, "s", s))
                   for s in SYMPTOMS]
        rows = [toggles[i:i + 2] for i in range(0, len(toggles), 2)]
        return text, [*rows, [(_("Done ➡"), form_callback(form, "sd"))], _cancel(form)]
    if form.step is Step.NOTE and form.person.note:
        text = _("Note so far: “{note}”. Keep it, send a new note (at most {limit} "
                 "characters), or clear it.").format(note=escape(form.person.note),
                                                     limit=MAX_NOTE)
        return text, [[(_("Keep ➡"), form_callback(form, "ns"))],
                      [(_("🗑 Clear the note"), form_callback(form, "nc"))], _cancel(form)]
    if form.step is Step.NOTE:
        question = _("Anything to add?") if mine else _(
            "Anything to add about {person}?").format(person=who)
        text = join_sentences([question, _("Send a short note (at most {limit} characters), or "
                                           "tap “Skip”.").format(limit=MAX_NOTE)])
        return text, [[(_("Skip ➡"), form_callback(form, "ns"))], _cancel(form)]
    if form.step is Step.FLAGS:
        text = _("Report for {date}. <b>What do you want to report?</b> Tap all that apply, "
                 "then “Next”.").format(date=day)
        rows = [[(_toggle(f in form.flags, flag_label(f)), form_callback(form, "f", f))]
                for f in ("contact_case", "travel", "isolation")]
        return text, [*rows, [(_("Next ➡"), form_callback(form, "fd"))], _cancel(form)]
    head = _("Please check your report for {date}:").format(date=day)
    lines = [f"<b>{head}</b>", *report_lines(form.to_input())]
    if form.amending:
        lines += ["", escape(_("Confirming replaces the report you sent earlier today."))]
    return "\n".join(lines), [[(_("✅ Confirm"), form_callback(form, "ok"))],
                              [(_("✏️ Start over"), form_callback(form, "re")),
                               (_("✖ Cancel"), form_callback(form, "x"))]]


def form_problem(outcome: Outcome, form: Form | None = None) -> str:
    """Plain text for what went wrong with a form step (fits a callback answer)."""
    if outcome is Outcome.EXPIRED:
        return _("This form timed out after 30 minutes and nothing was saved. Send /report "
                 "to start again.")
    if outcome is Outcome.CANCELLED:
        return _("Cancelled; nothing was saved.")
    if outcome is Outcome.PICK_SOMEONE:
        return _("Tap at least one person who is unwell, or Cancel.")
    if outcome is Outcome.PICK_SOMETHING:
        return _("Tap at least one thing to report, or Cancel.")
    if outcome is Outcome.DAY_PASSED:
        return _("That day can no longer be reported; nothing was saved. Send /report to "
                 "report for today.")
    if outcome is Outcome.USE_BUTTONS:
        return _("Please use the buttons below (or /cancel).")
    if outcome is Outcome.NO_FORM:
        return _("There is no report in progress. Send /report to start one.")
    return _("This button is no longer valid.")


def form_problem_text(outcome: Outcome) -> str:
    """`form_problem` as a message (HTML)."""
    return escape(form_problem(outcome))


def temperature_problem(error: TemperatureError) -> str:
    expected = _("Please send a body temperature between {low} and {high} °C, for example "
                 "36.8 or 37,5 (°F works too: 99.5°F).").format(
        low=fmt_number(MIN_C, "0.0"), high=fmt_number(MAX_C, "0.0"))
    if error.code in (TemperatureErrorCode.TOO_LOW, TemperatureErrorCode.TOO_HIGH):
        assert error.celsius is not None
        hint = error.hint
        said = _("{temperature} is not a plausible body temperature.").format(
            temperature=temperature_text(error.celsius))
        parts = [said, expected]
        if hint is not None:
            parts.append(_("Did you mean {temperature}? Tap it below to confirm.").format(
                temperature=temperature_text(hint)))
        return escape(join_sentences(parts))
    if error.code is TemperatureErrorCode.EMPTY:
        return escape(expected)
    return escape(join_sentences([_("That is not a temperature."), expected]))


def temperature_offer(form: Form, error: TemperatureError) -> Buttons:
    """The reading the reply asks about ("did you mean 37.6 °C?"), as a button to confirm."""
    if error.hint is None:
        return []
    return [[(temperature_text(error.hint), form_callback(form, "t", str(error.hint)))]]


def note_problem(error: InvalidText) -> str:
    if error.code is TextError.TOO_LONG:
        return escape(_("That note is too long: please send at most {limit} characters, or "
                        "tap “Skip”.").format(limit=MAX_NOTE))
    return escape(_("Please send the note as plain text, or tap “Skip”."))


# --- /history and the rest -----------------------------------------------------------------

def history_text(days: list[HistoryDay]) -> str:
    if days and len(days) < HISTORY_DAYS:  # joined since: their days start there
        head = _("Your reports since you joined on {date}").format(
            date=fmt_date(days[-1].day, "long"))
    else:
        head = _("Your reports for the last {n} days").format(n=len(days))
    lines = [f"<b>{escape(head)}</b>"]
    for d in days:
        mark = "—" if d.status is None else "⚠" if d.status is ReportStatus.ABNORMAL else "✓"
        day = fmt_date(d.day, "medium")
        lines.append(f"{mark} " + escape(_("{date} (late)").format(date=day) if d.late else day))
    lines += ["", escape(_("✓ all well · ⚠ something to watch · — no report"))]
    return "\n".join(lines)


def stale_day(day: date) -> str:
    return _("That button was for {date}, which can no longer be reported. Here is today's "
             "report.").format(date=fmt_date(day, "long"))


def no_yesterday() -> str:
    return _("There is no report from yesterday to copy. Please tap how things are today.")


def cancelled(dropped: bool) -> str:
    """/cancel's answer: whether there was a form to drop."""
    return escape(_("Cancelled; nothing was saved.") if dropped
                  else _("There is nothing to cancel."))
