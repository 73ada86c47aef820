"""The digest's text: sections, the zero report line, open alerts, the 4096 cut, both
languages; and the /status button data parser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.render.digest import (
    TEXT_LIMIT,
    digest_text,
    parse_status_callback,
    parse_status_page,
    status_buttons,
    status_callback,
)
from bot.render.payloads import inline_keyboard
from bot.sandbox.markup import MAX_MARKUP_BYTES, markup_size
from bot.services.digest.compute import (
    AbnormalCase,
    Figures,
    Missing,
    OpenAlertLine,
    Reach,
    SubUnit,
    UnitDigest,
)

DAY = date(2026, 11, 30)


def digest(**fields: object) -> UnitDigest:
    values: dict[str, object] = dict(
        unit_id=1, unit_name="Group <HQ>", unit_path="/1/", day=DAY, timezone="Asia/Shanghai",
        day_off=False, figures=Figures(10, 8, 0), previous=Figures(10, 6, 0))
    values.update(fields)
    return UnitDigest(**values)  # type: ignore[arg-type]


def case(i: int, relation: str | None = None) -> AbnormalCase:
    return AbnormalCase(
        member_id=i, member_name=f"Member {i}", unit_id=2, unit_names=("Company A", "Cell 3"),
        relation=relation, person=f"Person {i}" if relation else f"Member {i}",
        temperature=Decimal("38.5"), symptoms=("cough", "sore throat"), contact_case=True,
        travel=False, isolation=False, reported_at=datetime(2026, 11, 30, 0, 5, tzinfo=UTC))


def alert(i: int, level: int = 0, name: str | None = None,
          label: str = "Company A / Cell 3") -> OpenAlertLine:
    return OpenAlertLine(alert_id=i, member_id=i, member_name=name or f"Member {i}", unit_id=2,
                         unit_names=tuple(label.split(" / ")), report_date=DAY, level=level,
                         since=datetime(2026, 11, 29, 23, 40, tzinfo=UTC))


def missing(n: int, label: str = "Company A", reach: Reach = Reach.PENDING) -> list[Missing]:
    return [Missing(1000 + i, f"Name {i:04d}", 2, (label,), reach) for i in range(n)]


def test_a_quiet_day_has_the_zero_report_line_in_english_and_chinese() -> None:
    d = digest(figures=Figures(10, 10, 0))
    with use_locale("en"):
        text = digest_text(d)
    assert "📊 <b>Daily digest: Group &lt;HQ&gt;</b>" in text
    assert "Mon, Nov 30" in text
    assert "Reported: <b>10</b> / 10 (100%)" in text
    assert "Since yesterday: +40 points, +4 reports" in text
    assert "✅ Zero report: all 10 members expected have reported, nothing abnormal." in text
    assert "No zero report yet" not in text
    with use_locale("zh_CN"):
        zh = digest_text(d)
    assert "✅ 零报告：应上报的 10 人均已上报，无异常情况。" in zh and "日报" in zh
    assert "已上报：<b>10</b> / 10（100%）" in zh and "11月30日" in zh


@pytest.mark.parametrize(("reported", "en", "zh"), [
    (0, ["⏳ No zero report yet: 3 expected, 3 have not reported."],
     ["⏳ 尚不能零报告：应上报 3 人，还有 3 人未上报。"]),
    (2, ["⏳ No zero report yet: 3 expected, 1 has not reported.",
         "Nothing abnormal in the 2 reports received so far; the 1 not reported are unknown."],
     ["⏳ 尚不能零报告：应上报 3 人，还有 1 人未上报。",
      "已收到的 2 份报告中暂无异常；未上报的 1 人情况不明。"]),
])
def test_no_zero_report_while_anyone_expected_has_not_reported(
        reported: int, en: list[str], zh: list[str]) -> None:
    d = digest(figures=Figures(3, reported, 0), previous=Figures(3, 3, 0))
    with use_locale("en"):
        text = digest_text(d)
    assert "Zero report:" not in text and "\n".join(en) in text
    with use_locale("zh_CN"):
        text = digest_text(d)
    assert "✅" not in text and "\n".join(zh) in text


def test_no_zero_report_beside_an_abnormal_report_even_without_its_case_line() -> None:
    with use_locale("zh_CN"):
        text = digest_text(digest(figures=Figures(3, 3, 1)))
    assert "零报告" not in text


def test_nobody_expected_is_said_not_divided() -> None:
    with use_locale("en"):
        text = digest_text(digest(figures=Figures(0, 0, 0), previous=Figures(0, 0, 0),
                                  day_off=True))
    assert "(nobody expected)" in text and "day off" in text and "Since yesterday" not in text


def test_cases_sub_units_and_missing_are_listed() -> None:
    d = digest(
        figures=Figures(10, 7, 2),
        cases=[case(1), case(2, relation="son")],
        subunits=[SubUnit(3, "Company B", Figures(4, 2, 0)),
                  SubUnit(2, "Company A", Figures(5, 4, 2)),
                  SubUnit(None, "Group <HQ>", Figures(1, 1, 0))],
        missing=[*missing(25), *missing(1, reach=Reach.BLOCKED),
                 *missing(2, reach=Reach.UNLINKED)],
    )
    with use_locale("en"):
        text = digest_text(d).replace("\u202f", " ")  # CLDR puts a narrow space before AM
    assert "⚠️ <b>2 abnormal cases</b>" in text
    assert ("• <b>Member 1</b> — Company A / Cell 3; 38.5 °C; cough, sore throat; "
            "contact with a case; reported at 08:05") in text
    assert "<b>Person 2 (son of Member 2)</b>" in text
    assert "• Company B: 2/4 (50%), abnormal: 0" in text
    assert "• Group &lt;HQ&gt; (direct members): 1/1 (100%), abnormal: 0" in text
    assert text.index("Company B: 2/4") < text.index("Company A: 4/5")
    assert "⏳ <b>28 not reported:</b>" in text
    assert "<i>Company A</i>: Name 0000, " in text and "Name 0019 +5 more" in text
    assert "Name 0020" not in text
    assert "🚫 Blocked the bot: Name 0000" in text
    assert "🔗 Never linked to the bot: Name 0000, Name 0001" in text


def test_open_alerts_are_listed_with_unit_since_and_level_in_both_languages() -> None:
    d = digest(cases=[case(1)], alerts=[alert(1), alert(2, level=2, name="Wu <Di>")])
    with use_locale("en"):
        text = digest_text(d).replace("\u202f", " ")
    assert "🔔 <b>2 open alerts</b> (not marked handled):" in text
    assert ("• <b>Member 1</b> — Company A / Cell 3; open since Nov 30, 07:40; "
            "not escalated") in text
    assert "• <b>Wu &lt;Di&gt;</b> — Company A / Cell 3; open since" in text
    assert text.endswith("escalation level 2")
    # After the abnormal cases, before the sub-units and the missing.
    assert text.index("abnormal case") < text.index("open alerts")
    with use_locale("zh_CN"):
        zh = digest_text(d)
    assert "🔔 <b>2 条预警未处理</b>" in zh and "未升级" in zh and "已升级至第 2 级" in zh
    assert "11月30日 07:40" in zh
    assert "open" not in zh and "escalat" not in zh
    with use_locale("en"):
        assert "open alert" not in digest_text(digest(cases=[case(1)]))  # none: no section


def test_a_huge_digest_is_cut_to_4096_with_more_lines() -> None:
    d = digest(
        figures=Figures(5000, 10, 300),
        cases=[case(i) for i in range(300)],
        alerts=[alert(i, level=i % 3) for i in range(250)],
        subunits=[SubUnit(i, f"Unit {i}", Figures(10, 1, 1)) for i in range(10, 400)],
        missing=[m for g in range(200) for m in missing(30, label=f"Branch {g:03d}")],
    )
    for locale in ("en", "zh_CN"):
        with use_locale(locale):
            text = digest_text(d)
        assert len(text) <= TEXT_LIMIT
        assert len(text) > TEXT_LIMIT - 400  # the room is used, not wasted
        assert text.count("/status") == 4  # each section says how much more there is
    with use_locale("en"):
        text = digest_text(d)
    # The cut lines count what was left out: people (30 a group) for the not-reported list.
    groups = sum(1 for line in text.splitlines() if line.startswith("<i>Branch"))
    assert groups and f"… +{6000 - 30 * groups:,} more: see /status" in text
    shown_cases = text.count("38.5 °C")
    assert f"… +{300 - shown_cases} more: see /status" in text
    shown_alerts = text.count("open since")
    assert 0 < shown_alerts < 250 and f"… +{250 - shown_alerts} more: see /status" in text
    # Tags stay balanced: nothing is cut in the middle of a line.
    assert text.count("<b>") == text.count("</b>") and text.count("<i>") == text.count("</i>")


def test_status_buttons_drill_into_sub_units_and_up() -> None:
    d = digest(subunits=[SubUnit(3, "Company B", Figures(4, 2, 0)),
                         SubUnit(None, "Group", Figures(1, 1, 0))])
    with use_locale("en"):
        rows = status_buttons(d, up=7)
    assert rows == [[("Company B · 50%", "st:3")], [("⬆️ Up", "st:7")]]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_status_buttons_come_in_pages_each_within_telegrams_keyboard_limits(locale: str) -> None:
    # 98 sub-units with 40-character Chinese names: one keyboard of them was 18 kB, over
    # Telegram's 10 kB ("reply markup is too long").
    units = [SubUnit(i, "长" * 39 + str(i % 10), Figures(3, 1, 0)) for i in range(1, 99)]
    many = digest(subunits=units)
    seen: list[str] = []
    with use_locale(locale):
        pages = [status_buttons(many, up=7, page=p) for p in range(5)]
        assert status_buttons(many, up=7, page=99) == pages[-1]  # past the end: the last
    for page, rows in enumerate(pages):
        markup = inline_keyboard(rows)
        assert markup_size(markup) <= MAX_MARKUP_BYTES and sum(map(len, rows)) <= 100
        assert all(1 <= len(r) <= 8 for r in rows)
        units_here = [data for row in rows for _, data in row if data.startswith("st:")]
        seen += units_here[:-1]  # the last "st:" is Up
        assert rows[-1] == [("⬆️ Up" if locale == "en" else rows[-1][0][0], "st:7")]
        turns = [data for row in rows for _, data in row if data.startswith("sp:")]
        assert turns == [f"sp:{many.unit_id}:{p}" for p in (page - 1, page + 1) if 0 <= p < 5]
        assert all(parse_status_page(t) == (many.unit_id, int(t.rsplit(":", 1)[1]))
                   for t in turns)
    assert seen == [f"st:{i}" for i in range(1, 99)]  # every sub-unit once, in order


def test_malformed_status_page_data_is_refused() -> None:
    for data in ["sp:", "sp:1", "sp:0:1", "sp:1:01", "sp:1:1000", "sp:1:-1", "sp:1:1\n", None]:
        assert parse_status_page(data) is None, data


@given(st.integers(min_value=1, max_value=999_999_999))
def test_every_status_button_parses_back(unit_id: int) -> None:
    data = status_callback(unit_id)
    assert len(data.encode()) <= 64
    assert parse_status_callback(data) == unit_id


@given(st.text(max_size=80))
def test_forged_status_data_is_refused_or_parsed_never_raises(data: str) -> None:
    parsed = parse_status_callback(data)
    if parsed is not None:
        assert status_callback(parsed) == data and 0 < parsed < 2**31


def test_malformed_status_data_is_refused() -> None:
    for data in ["", "st:", "st:0", "st:-1", "st:01", "st:1x", "st:9999999999", " st:1",
                 "st:1\n", "st:１", None]:
        assert parse_status_callback(data) is None, data


_names = st.text(alphabet=st.sampled_from("ab<&>\"'中文 "), min_size=1, max_size=64)


@settings(max_examples=40, deadline=None)  # big digests: slow on a busy machine
@given(unit_name=_names, n_cases=st.integers(0, 60), n_units=st.integers(0, 150),
       n_missing=st.integers(0, 400), n_alerts=st.integers(0, 120), name=_names,
       label=_names)
def test_any_digest_fits_telegrams_limit(unit_name: str, n_cases: int, n_units: int,
                                         n_missing: int, n_alerts: int, name: str,
                                         label: str) -> None:
    d = digest(
        unit_name=unit_name,
        cases=[AbnormalCase(i, name, 2, (label,) * 5, name if i % 2 else None,
                            name, Decimal("39.1"), (name,), True, True, True,
                            datetime(2026, 11, 30, 1, 0, tzinfo=UTC)) for i in range(n_cases)],
        subunits=[SubUnit(i + 1, name, Figures(3, 1, 1)) for i in range(n_units)],
        missing=[Missing(i, name, 2, (f"{label} {i % 37}",), Reach.PENDING)
                 for i in range(n_missing)],
        alerts=[alert(i, level=i % 4, name=name, label=" / ".join([label] * 5))
                for i in range(n_alerts)],
    )
    for locale, full in (("en", False), ("zh_CN", False), ("en", True)):
        with use_locale(locale):
            text = digest_text(d, full_lists=full)
        assert len(text) <= TEXT_LIMIT
        assert text.count("<b>") == text.count("</b>")


def test_status_lists_every_name_of_a_small_unit_twenty_a_line() -> None:
    d = digest(missing=[*missing(45, label="Cell 9"), *missing(3, reach=Reach.UNLINKED)])
    with use_locale("en"):
        daily = digest_text(d)
        full = digest_text(d, full_lists=True)
    assert "Name 0044" not in daily and "+25 more" in daily
    lines = [line for line in full.splitlines() if line.startswith("<i>Cell 9</i>")]
    assert [line.count("Name ") for line in lines] == [20, 20, 5]
    assert "Name 0044" in full and "more" not in full
    assert "🔗 Never linked to the bot: Name 0000, Name 0001, Name 0002" in full


def test_a_unit_name_with_a_slash_stays_whole_in_zh() -> None:
    # The path is carried as names, not as one " / "-joined string split again to re-join.
    d = digest(figures=Figures(3, 2, 1), cases=[case(1)],
               missing=[Missing(7, "赵六", 2, ("销售 / 运营", "一组"), Reach.PENDING)])
    with use_locale("zh_CN"):
        text = digest_text(d)
    assert "销售 / 运营/一组" in text and "Company A/Cell 3" in text


def test_status_of_twenty_thousand_missing_draws_what_fits_and_counts_the_rest() -> None:
    """/status lists every name as far as the text allows; only those lines are drawn, and
    the "+N more" line counts everyone else (blocked and unlinked people included)."""
    people = [m for g in range(1000) for m in missing(19, label=f"Cell {g:04d}")]
    people += missing(500, label="Cell 9999", reach=Reach.BLOCKED)
    d = digest(figures=Figures(40_000, 20_000, 0), missing=people)
    with use_locale("en"):
        text = digest_text(d, full_lists=True)
    shown = text.count("Name ")
    assert 0 < shown < len(people) and len(text) <= TEXT_LIMIT
    assert f"… +{len(people) - shown:,} more: see /status" in text
    assert f"⏳ <b>{len(people):,} not reported:</b>" in text
