"""The daily question's text and buttons, and the parser of its callback data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.render.prompts import (
    REPORT_CALLBACK_PATTERN,
    ReportChoice,
    parse_report_callback,
    prompt_payload,
    reminder_payload,
    report_buttons,
    report_callback,
)

DAY = date(2026, 11, 30)


def test_callback_data_is_compact_and_dated() -> None:
    assert report_callback(DAY, ReportChoice.OK) == "r:2026-11-30:ok"
    assert parse_report_callback("r:2026-11-30:sick") == (DAY, ReportChoice.SICK)
    assert parse_report_callback("r:2026-11-30:same") == (DAY, ReportChoice.SAME)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
       st.sampled_from(list(ReportChoice)))
def test_every_button_parses_back_to_what_it_says(day: date, choice: ReportChoice) -> None:
    data = report_callback(day, choice)
    assert len(data.encode()) <= 64  # Telegram's limit on callback_data
    assert re.fullmatch(REPORT_CALLBACK_PATTERN, data)
    assert parse_report_callback(data) == (day, choice)


@given(st.text(max_size=80))
def test_any_forged_data_is_refused_or_parsed_never_raises(data: str) -> None:
    parsed = parse_report_callback(data)
    if parsed is not None:
        assert report_callback(*parsed) == data


def test_malformed_data_is_refused() -> None:
    for data in ["", "r:", "r:2026-11-30", "r:2026-11-30:fine", "r:2026-02-30:ok",
                 "r:26-11-30:ok", "x:2026-11-30:ok", "r:2026-11-30:ok:extra",
                 "r:2026-11-30:OK", " r:2026-11-30:ok", "r:2026-11-30:ok\n", None]:
        assert parse_report_callback(data) is None, data


def test_buttons_in_display_order_with_same_only_when_offered() -> None:
    with use_locale("en"):
        plain = report_buttons(DAY, offer_same=False)
        repeat = report_buttons(DAY, offer_same=True)
    assert plain == [
        ("✅ Me and my household are all well", "r:2026-11-30:ok"),
        ("🤒 Someone is unwell", "r:2026-11-30:sick"),
        ("📝 Something else to report", "r:2026-11-30:other"),
    ]
    assert [d for _label, d in repeat] == ["r:2026-11-30:ok", "r:2026-11-30:same",
                                           "r:2026-11-30:sick", "r:2026-11-30:other"]


def test_the_prompt_in_both_languages() -> None:
    with use_locale("zh_CN"):
        zh = prompt_payload(name="小明", day=DAY, offer_same=True)
    with use_locale("en"):
        en = prompt_payload(name="Ann", day=DAY, offer_same=False)
    assert zh["text"].startswith("<b>每日健康报告 · 11月30日周一</b>\n\n小明，您好！")
    assert "与昨天相同" in zh["text"]
    labels = [b["text"] for row in zh["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["✅ 本人及家人均健康", "🔁 与昨天相同", "🤒 有人身体不适",
                      "📝 有其他情况要上报"]
    assert en["text"] == ("<b>Daily health report · Mon, Nov 30</b>\n\n"
                          "Hello, Ann! How are you and your household today?\n"
                          "If everyone is well, one tap is enough.")
    assert en["parse_mode"] == "HTML" and en["method"] == "sendMessage"


def test_the_reminder_names_the_deadline_in_the_units_zone() -> None:
    deadline = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    with use_locale("zh_CN"):
        zh = reminder_payload(name="<i>小明</i>", day=DAY, deadline=deadline,
                              timezone="Asia/Shanghai", offer_same=False)
    assert zh["text"] == ("⏰ &lt;i&gt;小明&lt;/i&gt;，我们尚未收到您11月30日的健康报告，"
                          "请在12:00前完成上报。")
    assert zh["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "r:2026-11-30:ok"
