"""The matcher and the Faq service on the fixture knowledge base, in Chinese and English:
exact questions, paraphrases, typos, mixed text, and input that must match nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.faq import Faq, KbError, Match, Matcher
from bot.services.faq.decide import entry_thresholds
from bot.services.faq.kb import load_all
from bot.services.faq.service import entry_matcher
from bot.services.faq.text import tokens, words

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture(scope="module")
def faq() -> Faq:
    return Faq.load(FIXTURES)


def best(faq: Faq, locale: str, text: str) -> str | None:
    answer = faq.ask(locale, text)
    return answer.entry.id if answer.entry else None


def test_every_question_and_paraphrase_finds_its_own_entry_first(faq: Faq) -> None:
    for locale, kb in load_all(FIXTURES).items():
        matcher = entry_matcher(kb.entries)
        for entry in kb.entries:
            for text in (entry.question, *entry.paraphrases):
                assert matcher.search(text)[0].id == entry.id, (locale, text)
        for entry in kb.entries:
            assert faq.ask(locale, entry.question).kind == "confident", (locale, entry.id)


@pytest.mark.parametrize(("text", "expected"), [
    ("Can I have dinner with colleagues after work?", "gatherings-dinner"),  # exact
    ("are team dinners allowed", "gatherings-dinner"),  # a paraphrase, lower case
    ("Can we have a team dinner after work", "gatherings-dinner"),  # reworded
    ("Can I have diner with colegues after work?", "gatherings-dinner"),  # typos
    ("CAN I GO TO A WEDDING BANQUET", "gatherings-wedding"),
    ("how to wash hands properly", "hygiene-handwashing"),
    ("my child has a fever", "reporting-family-fever"),
    # full-width letters, as a Chinese keyboard types them
    ("Ｗｈａｔ ｉｓ ｔｈｅ ｄｅａｄｌｉｎｅ for the daily report", "reporting-deadline"),
])
def test_english_confident(faq: Faq, text: str, expected: str) -> None:
    answer = faq.ask("en", text)
    assert answer.kind == "confident" and answer.entry is not None
    assert answer.entry.id == expected
    assert answer.matches[0].id == expected
    assert answer.matches[0].score >= entry_thresholds("en").confident


@pytest.mark.parametrize(("text", "expected"), [
    ("下班后可以和同事一起聚餐吗？", "gatherings-dinner"),  # exact
    ("部门能组织聚餐吗", "gatherings-dinner"),  # a paraphrase
    ("下班后可以和同事一起聚参吗", "gatherings-dinner"),  # a wrong character
    ("下班以后能和同事一块儿聚餐吗", "gatherings-dinner"),  # reworded, no spaces anywhere
    ("能去外地出差吗", "travel-outside-city"),
    ("孩子发烧", "reporting-family-fever"),
    ("每日健康上报截止时间", "reporting-deadline"),
])
def test_chinese_confident(faq: Faq, text: str, expected: str) -> None:
    assert best(faq, "zh_CN", text) == expected


@pytest.mark.parametrize(("locale", "text", "expected"), [
    ("zh_CN", "上班要戴mask吗", "hygiene-masks"),
    ("en", "must I wear a 口罩 at work", "hygiene-masks"),
    ("zh_CN", "下班后可以和colleagues一起聚餐吗", "gatherings-dinner"),
])
def test_mixed_text_finds_the_entry(faq: Faq, locale: str, text: str, expected: str) -> None:
    answer = faq.ask(locale, text)
    assert answer.kind in ("confident", "candidates")
    assert (answer.entry or answer.candidates[0]).id == expected


def test_a_question_in_the_other_language_gets_the_entry_in_the_members_language(
        faq: Faq) -> None:
    answer = faq.ask("en", "我能和同事聚餐吗")
    assert answer.kind == "confident" and answer.entry is not None
    assert answer.entry.id == "gatherings-dinner"
    assert answer.entry.question == "Can I have dinner with colleagues after work?"
    answer = faq.ask("zh_CN", "can I have dinner with colleagues")
    assert answer.entry is not None and answer.entry.question.startswith("下班后")


def test_a_vague_question_offers_candidates(faq: Faq) -> None:
    answer = faq.ask("en", "hands and masks")
    assert answer.kind == "candidates" and answer.entry is None
    assert {e.id for e in answer.candidates} == {"hygiene-masks", "hygiene-handwashing"}
    answer = faq.ask("en", "maks in the ofice?")
    assert answer.kind == "candidates" and [e.id for e in answer.candidates] == ["hygiene-masks"]
    answer = faq.ask("zh_CN", "上报")
    offered = {e.id for e in [*([answer.entry] if answer.entry else []), *answer.candidates]}
    assert {"reporting-deadline", "reporting-family-fever"} <= offered


@pytest.mark.parametrize(("locale", "text"), [
    ("en", "asdf qwer zxcv"),
    ("en", "what is the weather tomorrow"),
    ("en", "😷😷😷"),
    ("en", "x" * 10_000),
    ("en", "?!.,;:"),
    ("en", ""),
    ("en", "   \n\t  "),
    ("zh_CN", "今天天气怎么样"),
    ("zh_CN", "🙂🙂"),
    ("zh_CN", "哈" * 10_000),
    ("zh_CN", "\u0000\u200b\ufeff"),
])
def test_garbage_matches_nothing(faq: Faq, locale: str, text: str) -> None:
    answer = faq.ask(locale, text)
    assert answer.kind == "none" and answer.entry is None and answer.candidates == []


def test_an_unknown_locale_falls_back_to_the_default(faq: Faq) -> None:
    assert best(faq, "fr", "下班后可以和同事一起聚餐吗？") == "gatherings-dinner"


def test_rumour_check(faq: Faq) -> None:
    check = faq.check_rumour("en", "Eating garlic prevents infection.")
    assert check.kind == "match" and check.rumour is not None
    assert check.rumour.id == "rumour-garlic" and check.rumour.verdict == "false"
    forwarded = ("Forwarded from a friend: garlic protects you from the virus!! "
                 "Share with everyone you love.")
    assert faq.check_rumour("en", forwarded).kind == "match"
    near = faq.check_rumour("en", "A hot shower kills it")
    assert near.kind != "none" and near.rumour is not None and near.rumour.id == "rumour-hot-bath"
    assert faq.check_rumour("en", "The meeting moved to Tuesday").kind == "none"
    zh = faq.check_rumour("zh_CN", "转发：吃大蒜可以预防感染。大家快告诉家人！")
    assert zh.kind == "match" and zh.rumour is not None and zh.rumour.id == "rumour-garlic"
    assert faq.check_rumour("zh_CN", "明天下午三点开会").kind == "none"
    assert faq.check_rumour("zh_CN", "x" * 10_000).kind == "none"


def test_reload_swaps_in_the_new_files_and_keeps_the_old_on_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "kb")
    faq = Faq.load(tmp_path / "kb")
    en = tmp_path / "kb" / "en" / "faq.yaml"
    original = en.read_text(encoding="utf-8")
    en.write_text(original.replace("Can I go to a wedding banquet?",
                                   "May I attend a birthday party?"), encoding="utf-8")
    faq.reload()
    assert best(faq, "en", "may I attend a birthday party") == "gatherings-wedding"
    en.write_text(original + "  - id: broken\n", encoding="utf-8")
    with pytest.raises(KbError):
        faq.reload()
    assert best(faq, "en", "may I attend a birthday party") == "gatherings-wedding"
    kb = faq.kb("en")
    assert kb is not None and kb.entry("broken") is None


def test_load_refuses_an_invalid_knowledge_base(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "faq.yaml").write_text("locale: en\nentries: 3\n", encoding="utf-8")
    with pytest.raises(KbError) as caught:
        Faq.load(tmp_path)
    assert "`entries:` must be a list" in str(caught.value)


def test_matcher_api_directly() -> None:
    matcher = Matcher([("a", ["How do I wash my hands?"]), ("b", ["Can I travel abroad?"]),
                       ("c", [])])
    found = matcher.search("wash hands", k=3)
    assert found[0] == Match("a", found[0].score) and found[0].score > found[-1].score
    assert len(matcher.search("wash hands", k=1)) == 1
    assert matcher.search("wash hands", k=0) == []
    t = entry_thresholds("en")
    assert t.confident_in(found) and t.near_in(found)
    assert not t.confident_in([]) and not t.near_in([])
    assert not t.confident_in([Match("a", 0.9), Match("b", 0.88)])  # too close to call
    assert Matcher([]).search("anything") == []


@pytest.mark.parametrize(("known", "unknown"), [
    ("how do i get a pass", "how do i get a parking pass"),
    ("通行证怎么办", "停车场通行证怎么办"),
])
def test_words_the_knowledge_base_does_not_hold_lower_the_confidence(known: str,
                                                                    unknown: str) -> None:
    items = [("a", ["How do I get a pass?", "通行证怎么办理"]), ("b", ["Can I travel abroad?"])]
    penalised = Matcher(items)
    plain = Matcher(items, unknown_penalty=0.0)
    assert penalised.search(known)[0] == plain.search(known)[0]  # nothing unknown: as before
    with_unknown = penalised.search(unknown)[0]
    assert with_unknown.id == "a"  # the ranking stays; the score drops
    assert with_unknown.score < plain.search(unknown)[0].score * 0.9
    assert penalised.unknown_share(penalised.query(known)) == 0.0
    assert 0.0 < penalised.unknown_share(penalised.query(unknown)) < 1.0


def test_tokens_cover_chinese_english_and_mixed() -> None:
    zh = tokens("可以聚餐吗")  # 可以 and 吗 are function words: only 聚餐 is left
    assert zh == ["w:聚餐", "b:聚餐", "u:聚", "u:餐"]
    assert tokens("Washing HANDS") == ["e:wash", "e:hand"]
    assert tokens("the and of") == []
    assert tokens("戴mask吗") == ["u:戴", "e:mask"]
    assert words("Can I have dinner?") == "dinner"
    assert tokens("請問可以聚餐嗎") == zh  # traditional characters read as simplified
    assert "s:聚餐" in tokens("饭局", {"饭局": "聚餐"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_never_raises_on_any_text(faq_for_hypothesis: Faq, text: str) -> None:
    for locale in ("en", "zh_CN"):
        answer = faq_for_hypothesis.ask(locale, text)
        assert answer.kind in ("confident", "candidates", "none")
        assert len(answer.candidates) <= 3
        assert faq_for_hypothesis.check_rumour(locale, text).kind in ("match", "near", "none")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True),
                          st.lists(st.text(max_size=40), max_size=3)), max_size=5),
       st.text(max_size=80))
def test_any_matcher_on_any_text(items: list[tuple[str, list[str]]], text: str) -> None:
    ids = list(dict.fromkeys(i for i, _ in items))
    unique = [(i, next(v for j, v in items if j == i)) for i in ids]
    found = Matcher(unique).search(text, k=3)
    assert len(found) <= 3 and all(m.id in ids for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


@pytest.fixture(scope="module")
def faq_for_hypothesis(faq: Faq) -> Faq:
    return faq


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_shipped_evaluation_set_stays_well_matched(locale: str) -> None:
    """A floor well under the recorded figures (benchmarks/README.md), so a change to the
    matcher or the content that makes questions much harder to find fails here."""
    from bot.i18n import LOCALES_DIR
    from bot.services.faq.evaluate import evaluate, read_queries
    from bot.services.faq.kb import load_faq_file

    queries_file = LOCALES_DIR.parent / "benchmarks" / "faq" / f"queries_{locale}.tsv"
    if not queries_file.exists():
        pytest.skip("no shipped evaluation set yet")
    kb = load_faq_file(LOCALES_DIR / locale / "faq.yaml")
    result = evaluate(entry_matcher(kb.entries).search,
                      read_queries(queries_file, {e.id for e in kb.entries}))
    assert result.n >= 150
    assert result.top1 >= 0.65 and result.top3 >= 0.8, (result.top1, result.top3)
