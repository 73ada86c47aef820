"""Which way a message leans on a claim: does it state it, deny it, or call it a rumour?

A known rumour's paraphrase and the fact it denies share most words ("young people can't be
infected" / "young people can be infected too"); only the negation tells them apart. This
module counts the negations that carry a statement (不会, 不能, 并不, 没有, does not, cannot,
isn't …) and leaves out those that only urge (别, 不要, 千万不要, don't, do not: forwards are
full of them: "千万别收快递"), and words that say a message is a rumour (谣言, 辟谣, myth,
fake). `opposed` is True when the message contradicts the claim and its closest wording (one
negates and the other does not, or one says "only" and the other "too"; both saying "only"
agree, whichever side negates; one says a thing stops, "放假", and the other that it goes on,
"照常上班"), or the message itself calls the claim false (a question about it, "是谣言吗",
does not). `off_topic` is True when the claim speaks of the illness and the message does
not: it shares the claim's setting ("天热了注意防暑"), not its claim.
"""

from __future__ import annotations

import re

from bot.services.faq.text import normalise

# Urging, not stating: removed before negations are counted ("不能大意": be careful).
_ZH_URGE = re.compile(r"千万(?:不要|别)|不要|别|切勿|请勿|勿|不用担心|不必担心|"
                      r"(?:不能|不可|不得)(?:大意|掉以轻心|松懈|放松|马虎)|(?:大意|马虎)不得")
# Words with 不/没/无/非/未 that are not negations of a statement ("病毒就没了": it is gone).
_ZH_NOT_NEGATION = re.compile(
    r"不仅|不少|不断|不错|不适|不舒服|不良|不久|不同|不管|不论|不如|不过|不但|无论|非常|"
    r"未来|没事|不安|不好意思|是不是|能不能|会不会|要不要|可不可以|有没有|行不行|对不对|"
    r"用不用|需不需要|真的假的|无症状|没有?了")
_ZH_NEGATION = re.compile(r"并不|并非|不|没|无法|无|未|非")
_ZH_DEBUNK = re.compile(r"谣言|谣传|辟谣|不实|假消息|是假的|别信|不要信|误区|伪科学|不可信")
_ZH_QUESTION = re.compile(r"[吗?？]|是不是|真的假的|是真的|可信")

# At the start of a sentence or clause only: "do not accept parcels" urges, "garlic does not
# help" and "antibiotics do not work" state.
_EN_URGE = re.compile(
    r"(?:^|(?<=[,.;:!?(\-]))\s*(?:so\s+|and\s+|then\s+)?(?:please\s+)?"
    r"(?:don'?t|do not|never)\b")
_EN_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can'?t|won'?t|isn'?t|aren'?t|doesn'?t|didn'?t|wasn'?t|"
    r"weren'?t|nothing|none|nobody|neither|nor|without|unable)\b|n't\b")
_EN_DEBUNK = re.compile(r"\b(?:myths?|rumou?rs?|fake|hoax|debunk\w*|untrue|false|"
                        r"misinformation|not true)\b")
_EN_QUESTION = re.compile(r"\?|^(?:is|are|does|do|can|could|will|would|should) ")


def _plain(text: str) -> str:
    return normalise(text.replace("’", "'"))


def negations(text: str) -> int:
    """Negations that carry a statement (urging left out)."""
    t = _plain(text)
    t = _ZH_URGE.sub(" ", t)
    t = _ZH_NOT_NEGATION.sub(" ", t)
    t = _EN_URGE.sub(" ", t)
    return len(_ZH_NEGATION.findall(t)) + len(_EN_NEGATION.findall(t))


def calls_false(text: str) -> bool:
    """The message says the claim is false or a rumour (and does not ask whether it is)."""
    t = _plain(text)
    if _ZH_QUESTION.search(t) or _EN_QUESTION.search(t):
        return False
    return bool(_ZH_DEBUNK.search(t) or _EN_DEBUNK.search(t))


# Opposite states said without a negation ("照常上班" against "明天放假", "open as usual"
# against "closes tomorrow"): a stop, and going on. A negated stop ("不放假", "not closed")
# goes on; "不用来上班" and "nobody has to come in" stop before "上班"/"come in" go on.
_ZH_STOP = r"放假|停工|停课|停业|歇业|封楼|封闭|关闭|关门"
_EN_STOP = r"clos(?:e|ed|es|ing|ure)|shut|suspend\w*|cancel\w*"
_STOPPED = re.compile(
    rf"{_ZH_STOP}|(?:不用|不必|无需|不需要)来?上班|不上班|"
    rf"\b(?:{_EN_STOP}|(?:is|are|we're|be|all) off|day off|no work|"
    r"(?:nobody|no one|no need to|don't|do not) (?:has to |have to |need to )?come in)\b")
_NEGATED_STOP = re.compile(
    rf"(?:不|没有?|无|未)(?:{_ZH_STOP})|\b(?:not|no|never|won't|isn't|aren't) (?:{_EN_STOP})\b")
_GOING_ON = re.compile(r"照常|照旧|如常|正常上班|正常营业|开门|营业|复工|开放|上班|"
                       r"\b(?:open(?:s|ed)?|as (?:usual|normal)|normally|resum\w*|continues?|"
                       r"going ahead|come in)\b")


def _state(plain: str) -> tuple[bool, bool]:
    """(says something stops, says it goes on)."""
    going = bool(_NEGATED_STOP.search(plain))
    plain = _NEGATED_STOP.sub(" ", plain)
    stopped = bool(_STOPPED.search(plain))
    return stopped, going or bool(_GOING_ON.search(_STOPPED.sub(" ", plain)))


def _opposite_states(message: str, text: str) -> bool:
    """One says it stops and the other that it goes on, neither saying both."""
    m, t = _state(message), _state(text)
    return (m == (False, True) and t == (True, False)) or (m == (True, False)
                                                          and t == (False, True))


_EXCLUSIVE = re.compile(r"只有|只会|仅仅|\bonly\b|\bjust\b")
_NOT_ONLY = re.compile(r"不仅|不只|并非只|\bnot (?:only|just)\b")
_INCLUSIVE = re.compile(r"也|都|同样|\b(?:too|also|both|as well|even|anyone|everyone)\b")


def contradicts(message: str, text: str) -> bool:
    """The message states the opposite of `text`: one says a thing stops and the other that
    it goes on, one negates what the other does not, or the message widens what the text
    limits ("young people can be infected too" against "only old people get infected")."""
    m, t = _plain(message), _plain(text)
    if _opposite_states(m, t):
        return True
    limits = _limits(m)
    if limits and _limits(t):
        # Both say "only old people": the same claim, whichever side carries the negation
        # ("only old people get infected, young ones are safe" / "young people can't be
        # infected, only old people can").
        return False
    if (negations(message) > 0) != (negations(text) > 0):
        return True
    return bool(_limits(t) and _INCLUSIVE.search(m) and not limits)


def _limits(plain: str) -> bool:
    """The text limits a claim to someone ("only", 只有), and does not deny the limit ("not
    only", 不只)."""
    return bool(_EXCLUSIVE.search(plain)) and not _NOT_ONLY.search(plain)


# The illness itself: a claim about the virus is only made by a message that speaks of it
# ("天热了注意防暑" shares "天热" with "天气一热，病毒就会自己消失" and says nothing of
# the virus). "it"/"这个病" stand for it in forwards ("you won't catch it"), and so does
# being well ("you'll be fine", "吃了就没事").
_ZH_ILLNESS = re.compile(r"病|毒|感染|传染|染上|疫|新冠|肺炎|阳性|确诊|核酸|防护|预防|防住|免疫|"
                         r"抵抗力|症状|发烧|发热|咳嗽|没事|平安")
_EN_ILLNESS = re.compile(
    r"\b(?:virus\w*|viral|infect\w*|covid\w*|corona\w*|disease|sick\w*|ill|illness|germs?|"
    r"contagious|pandemic|epidemic|immun\w*|prevent\w*|protect\w*|cur(?:e|es|ed|ing)|"
    r"symptoms?|fever|cough\w*|(?:catch|catches|catching|caught|get|gets|getting|got) it|"
    r"(?:you're|you are|you'll be|you will be|stay|keeps? you) (?:fine|ok|okay|safe|healthy))\b")


def speaks_of_illness(text: str) -> bool:
    t = _plain(text)
    return bool(_ZH_ILLNESS.search(t) or _EN_ILLNESS.search(t))


def off_topic(message: str, claim: str, closest: str) -> bool:
    """The claim is about the illness and the message does not speak of it: it shares the
    claim's setting (hot weather, going out, drinking), not what the claim says."""
    return ((speaks_of_illness(claim) or speaks_of_illness(closest))
            and not speaks_of_illness(message))


def opposed(message: str, claim: str, closest: str) -> bool:
    """The message denies a claim: it calls it false, or contradicts both the claim and the
    claim's wording closest to it (a paraphrase may carry a negation of its own: "eat garlic
    and you won't get infected")."""
    return calls_false(message) or (contradicts(message, claim)
                                    and contradicts(message, closest))
