"""The rumour check's own rules: which parts of a message are compared, and the verdict.

A forward is compared as a whole, and sentence by sentence only where a sentence is long
enough to carry a claim by itself (MIN_HAN characters of Chinese, MIN_WORDS English words):
"专家：多运动" is one statement, not the fragment "专家" matched on its own. Sentences end at
。！？!?；; and line breaks, not at colons.

The verdict: a known rumour needs a confident score under the rumour thresholds
(bot.services.faq.decide.RUMOURS) and a message that does not deny the claim
(bot.services.faq.stance); a message that matches but denies it, or that shares the claim's
setting without speaking of the illness, is only "similar" (the reply shows the fact, which is
what it states).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from bot.services.faq.decide import Thresholds
from bot.services.faq.kb import Rumour
from bot.services.faq.matcher import Match
from bot.services.faq.stance import off_topic, opposed

MAX_CHARS = 2000
MAX_PARTS = 30
MIN_HAN = 6
MIN_WORDS = 4
MIN_COVERED = 0.25
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _carries_claim(part: str) -> bool:
    return len(_HAN.findall(part)) >= MIN_HAN or len(_WORD.findall(part)) >= MIN_WORDS


def fragments(text: str) -> list[str]:
    """The whole message first, then its sentences that can carry a claim by themselves."""
    text = text[:MAX_CHARS].strip()
    if not text:
        return []
    parts = [p.strip() for p in re.split(r"(?<=[。！？!?；;\n])|(?<=\.)\s+", text)]
    sentences = [p for p in parts if p and p != text and _carries_claim(p)]
    return list(dict.fromkeys([text, *sentences]))[:MAX_PARTS]


def verdict(matches: Sequence[Match], thresholds: Thresholds, message: str,
            rumour: Rumour, covered: float = 1.0) -> Literal["match", "near", "none"]:
    """`covered`: the share of the closest wording of the claim that the message holds
    (Matcher.covered); a message that says less than MIN_COVERED of it is only similar."""
    if not thresholds.near_in(matches):
        return "none"
    if covered < MIN_COVERED:
        return "near"
    texts = [rumour.claim, *rumour.paraphrases]
    closest = texts[matches[0].text] if 0 <= matches[0].text < len(texts) else rumour.claim
    if (thresholds.confident_in(matches) and not opposed(message, rumour.claim, closest)
            and not off_topic(message, rumour.claim, closest)):
        return "match"
    return "near"
