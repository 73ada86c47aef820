"""What the shipped knowledge base does with the cases the issue names: traditional
characters, a wrong-character typo beside function words, correct English words that are
not in the index, long messages; and for the rumour check true news, one-word fragments and
statements of the fact a rumour denies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.faq import Faq
from bot.services.faq.decide import Thresholds, decide, entry_thresholds, rumour_thresholds
from bot.services.faq.matcher import Match, Matcher
from bot.services.faq.typos import Corrector

LOCALES = Path(__file__).resolve().parents[2] / "locales"


@pytest.fixture(scope="module")
def faq() -> Faq:
    return Faq.load(LOCALES)


def test_traditional_characters_find_what_simplified_ones_do(faq: Faq) -> None:
    simplified = faq.ask("zh_CN", "下班后可以和同事聚餐吗")
    traditional = faq.ask("zh_CN", "下班後可以和同事聚餐嗎")
    assert traditional.kind == simplified.kind == "confident"
    assert traditional.entry == simplified.entry and traditional.entry is not None
    assert traditional.entry.id == "gatherings-dinner"


def test_a_wrong_character_leaves_the_content_to_decide(faq: Faq) -> None:
    """值斑 for 值班: the function words 的时候/要/做什么 must not pick the entry."""
    found = faq.ask("zh_CN", "值斑的时候要做什么")
    assert found.entry is not None and found.entry.id == "duty-tasks"


@pytest.mark.parametrize("word", ["shake", "punish", "elevator", "mall"])
def test_correct_english_words_are_not_corrected(word: str) -> None:
    corrector = Corrector(["share", "push", "believe", "small", "colleague"])
    assert corrector.correct(word) is None


@pytest.mark.parametrize(("typed", "meant"), [
    ("colegue", "colleague"), ("maried", "married"), ("qurantine", "quarantine"),
    ("diner", "dinner")])
def test_slips_of_the_fingers_are_corrected(typed: str, meant: str) -> None:
    assert Corrector(["colleague", "married", "quarantine", "dinner", "share"]).correct(
        typed) == meant


def test_a_long_message_is_not_diluted_below_every_threshold(faq: Faq) -> None:
    message = ("Hello, I hope you are well. I wanted to ask something that has been on my "
               "mind for a few days now. When I come home from work in the evening, what "
               "should I do first?")
    found = faq.ask("en", message)
    assert found.kind == "confident" and found.entry is not None
    assert found.entry.id == "personal-back-home"


@pytest.mark.parametrize(("locale", "text"), [
    ("zh_CN", "专家：多运动"),  # a colon does not make 专家 a claim of its own
    ("zh_CN", "他也被传染上了！"),
    ("zh_CN", "年轻人也会被感染，不要掉以轻心"),
    ("zh_CN", "大蒜不能预防病毒感染，别信谣言"),
    ("en", "young people can be infected too"),
    ("en", "antibiotics do not work against viruses, don't take them yourself"),
    ("en", "Experts: exercise more"),
    ("en", "not only old people get infected, young people can be too"),
    ("zh_CN", "不只是老人，年轻人也会被感染"),
    # Advice in the rumour's setting that says nothing of the virus.
    ("zh_CN", "夏天到了，天气热，大家多喝水防中暑"),
    ("en", "summer is here, stay cool and drink water"),
    # The opposite state, said without a negation (or with a negated stop).
    ("zh_CN", "公司后天正常上班，请准时到岗"),
    ("zh_CN", "通知：本周不放假，照常上报"),
    ("en", "the office stays open as normal next week"),
    # Urging care (不能大意) is no negation of the statement.
    ("zh_CN", "年轻人同样可能被感染，千万不能大意"),
])
def test_true_statements_and_denials_are_never_a_known_rumour(faq: Faq, locale: str,
                                                              text: str) -> None:
    assert faq.check_rumour(locale, text).kind != "match"


@pytest.mark.parametrize(("locale", "text", "rumour"), [
    ("en", "Young people can't be infected, only old people can.", "rumour-young-people"),
    ("zh_CN", "转发：千万别收国外快递！包裹上有病毒！", "rumour-packages"),
    ("en", "FWD: 5G masts spread the virus. Share with everyone!", "rumour-5g"),
    ("zh_CN", "喝酒能防病毒吗？", "rumour-drinking"),  # asking about it is not denying it
    # "only" on both sides: the same claim, though only the rumour's wording negates
    ("en", "only old people catch it, young people are fine", "rumour-young-people"),
    ("zh_CN", "只有老年人才会被传染，年轻人没关系", "rumour-young-people"),
    # "就没了" says the virus is gone: no negation.
    ("zh_CN", "天气一热病毒就没了", "rumour-hot-weather"),
    # A stop said in other words is the rumour still; being "fine" speaks of the illness.
    ("zh_CN", "内部消息：明天公司停工放假，不用来上班了", "rumour-office-closing"),
    ("en", "the office is closed tomorrow, nobody has to come in", "rumour-office-closing"),
    ("en", "gargle with salt water every morning and you will be fine", "rumour-salt-water"),
])
def test_paraphrases_and_forwards_are_known(faq: Faq, locale: str, text: str,
                                            rumour: str) -> None:
    found = faq.check_rumour(locale, text)
    assert found.kind == "match" and found.rumour is not None and found.rumour.id == rumour


def test_decisions_follow_the_thresholds() -> None:
    t = Thresholds(confident=0.7, margin=0.1, near=0.4, floor=0.3)
    assert decide([Match("a", 0.9), Match("b", 0.5)], t) == (
        "confident", [Match("a", 0.9), Match("b", 0.5)])
    assert decide([Match("a", 0.9), Match("b", 0.85)], t)[0] == "candidates"  # too close
    assert decide([Match("a", 0.5), Match("b", 0.2)], t) == ("candidates", [Match("a", 0.5)])
    assert decide([Match("a", 0.39)], t) == ("none", [])
    assert decide([], t) == ("none", [])
    # Rumours are held to their own thresholds; unknown locales get the default's.
    assert rumour_thresholds("zh_CN") != entry_thresholds("zh_CN")
    assert entry_thresholds("fr") == entry_thresholds("zh_CN")


def test_the_best_text_of_an_entry_is_reported() -> None:
    matcher = Matcher([("a", ["How do I wash my hands?", "soap and water"]),
                       ("b", ["Can I travel abroad?"])])
    [best, *_] = matcher.search("soap and water please")
    assert best.id == "a" and best.text == 1
    assert matcher.covered("soap and water", best) == pytest.approx(1.0)
    assert matcher.covered("soap", best) < 1.0


def test_entries_added_with_faq_add_keep_the_synonyms(faq: Faq) -> None:
    from bot.services.faq.additions import Addition, merge

    kb = faq.kb("zh_CN")
    assert kb is not None and kb.synonyms["饭局"] == "聚餐"
    addition = Addition("zh_CN", "parking-lot", kb.categories[0].id, "停车场周末开放吗？",
                        "周末开放。")
    merged = merge({"zh_CN": kb}, [addition])
    assert merged.problems == [] and merged.kbs["zh_CN"].synonyms == kb.synonyms
    assert merged.kbs["zh_CN"].entry("parking-lot") is not None
