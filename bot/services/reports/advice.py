"""What a member is told to do after an abnormal report: the rules knowledge base's entries
for their situation, looked up by id (the answers are written once, in locales/*/faq.yaml)."""

from __future__ import annotations

from bot.services.reports.store import ReportInput

# Knowledge-base entry ids, in the order they are shown. tests/reports check that every
# locale's knowledge base has each of them.
FEVER = "reporting-fever"  # a fever or symptoms, the member's or a household member's
CONTACT = "quarantine-contact"  # contact with a confirmed or suspected case
ISOLATION = "quarantine-home-rules"  # in isolation or quarantine
ADVICE_IDS = (FEVER, CONTACT, ISOLATION)
MAX_ENTRIES = 2  # a message stays readable (and within Telegram's 4096 characters)


def advice_for(entry: ReportInput) -> list[str]:
    """The entry ids that say what to do now, most urgent first; [] for a well report."""
    ids = []
    if entry.contact_case:
        ids.append(CONTACT)
    if any(p.abnormal for p in entry.people):
        ids.append(FEVER)
    if entry.isolation:
        ids.append(ISOLATION)
    return ids[:MAX_ENTRIES]
