"""Thresholds that turn match scores into what the bot does, per locale and per kind.

Questions (`ENTRIES`): from `confident` up, with a lead of `margin` over the next entry, the
best entry is the answer; from `near` up the question gets up to three candidates (each at
least `floor`) and a button to ask a person; below, it goes to a person.

Rumours (`RUMOURS`) get thresholds of their own: their scores have no boost from an answer
text, so a right paraphrase scores lower than a right question does, and a false "known
rumour" costs more than a missed one. From `confident` up (with the margin, and unless the
message denies the claim: bot.services.faq.stance) a message is a known rumour; from `near` up
it is "similar to" the closest one.

The figures come from benchmarks/faq_eval.py on the development sets (benchmarks/README.md);
the held-out sets were written before and never used to choose them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.services.faq.matcher import Match

Kind = Literal["confident", "candidates", "none"]


@dataclass(frozen=True)
class Thresholds:
    confident: float
    margin: float
    near: float
    floor: float  # a candidate beside others

    def confident_in(self, matches: Sequence[Match]) -> bool:
        """The best match may be given as the answer."""
        if not matches or matches[0].score < self.confident:
            return False
        return len(matches) == 1 or matches[0].score - matches[1].score >= self.margin

    def near_in(self, matches: Sequence[Match]) -> bool:
        return bool(matches) and matches[0].score >= self.near


# Chosen with matcher.UNKNOWN_PENALTY on (questions about things the knowledge base does not
# hold score lower), keeping ≥ 96 % of the development sets' immediate answers right.
ENTRIES = {
    "zh_CN": Thresholds(confident=0.54, margin=0.13, near=0.3, floor=0.25),
    "en": Thresholds(confident=0.46, margin=0.12, near=0.25, floor=0.22),
}
RUMOURS = {
    "zh_CN": Thresholds(confident=0.4, margin=0.03, near=0.33, floor=0.33),
    "en": Thresholds(confident=0.4, margin=0.03, near=0.33, floor=0.33),
}
DEFAULT_LOCALE = "zh_CN"


def entry_thresholds(locale: str) -> Thresholds:
    return ENTRIES.get(locale) or ENTRIES[DEFAULT_LOCALE]


def rumour_thresholds(locale: str) -> Thresholds:
    return RUMOURS.get(locale) or RUMOURS[DEFAULT_LOCALE]


def decide(matches: Sequence[Match], thresholds: Thresholds | None = None
           ) -> tuple[Kind, list[Match]]:
    """What to do with a question's best matches: answer, offer candidates, or hand over."""
    t = thresholds or ENTRIES[DEFAULT_LOCALE]
    if t.confident_in(matches):  # the answer, then any close runner-up ("see also")
        return "confident", [matches[0], *(m for m in matches[1:] if m.score >= t.floor)]
    if t.near_in(matches):
        return "candidates", [m for m in matches if m.score >= t.floor]
    return "none", []
