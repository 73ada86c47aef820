"""What a member is told to do after an abnormal report comes from the knowledge base, by
entry id: every id exists in every locale, and the situation picks the entry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.faq.kb import load_all
from bot.services.reports.advice import ADVICE_IDS, CONTACT, FEVER, ISOLATION, advice_for
from bot.services.reports.store import PersonHealth, ReportInput

LOCALES = Path(__file__).resolve().parents[2] / "locales"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_advice_entry_is_in_the_knowledge_base(locale: str) -> None:
    kb = load_all(LOCALES)[locale]
    assert [i for i in ADVICE_IDS if kb.entry(i) is None] == []


def _entry(temperature: str | None = None, symptoms: tuple[str, ...] = (), *,
           spouse: str | None = None, contact: bool = False,
           isolation: bool = False) -> ReportInput:
    me = PersonHealth(None, "", "Mia", Decimal(temperature) if temperature else None, symptoms)
    spouse_health = PersonHealth(1, "spouse", "Li Na", Decimal(spouse) if spouse else None)
    return ReportInput((me, spouse_health), contact_case=contact, isolation=isolation)


def test_the_situation_picks_the_entries() -> None:
    assert advice_for(_entry()) == []
    assert advice_for(_entry("38.6")) == [FEVER]
    assert advice_for(_entry(symptoms=("cough",))) == [FEVER]
    assert advice_for(_entry(spouse="38.0")) == [FEVER]  # a household member's fever too
    assert advice_for(_entry(contact=True)) == [CONTACT]
    assert advice_for(_entry("38.6", isolation=True)) == [FEVER, ISOLATION]
    assert advice_for(_entry("38.6", contact=True, isolation=True)) == [CONTACT, FEVER]


def test_the_advice_fits_one_message_dropping_whole_answers_from_the_end() -> None:
    from bot.render.advice import fit_advice

    confirmation = "✅ Reported"
    parts = ["📣 told", "<b>What to do now:</b>", "A" * 2100, "B" * 2100]
    text = fit_advice(confirmation, parts)
    assert text == "\n\n".join([confirmation, *parts[:3]]) and len(text) <= 4096
    assert fit_advice(confirmation, parts, limit=30) == "✅ Reported\n\n📣 told"
    assert fit_advice(confirmation, parts, limit=5) == confirmation
