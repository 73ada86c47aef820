"""The next-step buttons under the digest and /status: shown only when there is something to
do, in both languages, within Telegram's limits; what a tap shows on the button."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.i18n import use_locale
from bot.render.digest import status_buttons
from bot.render.next_steps import (
    NEXT_ALERTS,
    NEXT_DRILL,
    NEXT_HANDLED,
    NEXT_REMIND,
    alerts_buttons,
    alerts_text,
    listed_label,
    next_step_buttons,
    parse_remind,
    reminded_label,
)
from bot.render.payloads import MAX_CALLBACK_DATA, payload_for
from bot.services.digest.actions import RemindResult, RemindStatus
from bot.services.digest.alert_view import AlertView, Person
from bot.services.digest.compute import Figures, Missing, OpenAlertLine, Reach, SubUnit, UnitDigest
from bot.services.digest.next_steps import AlertsToHandle
from bot.services.digest.queue import DigestText

DAY = date(2026, 11, 30)
AT = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # 12:30 in Shanghai
BIG = 999_999_999  # the largest unit id the codecs take


def digest(**fields: object) -> UnitDigest:
    values: dict[str, object] = dict(
        unit_id=BIG, unit_name="Company A", unit_path="/1/", day=DAY, timezone="Asia/Shanghai",
        day_off=False, figures=Figures(3, 1, 1), previous=Figures(3, 3, 0))
    values.update(fields)
    return UnitDigest(**values)  # type: ignore[arg-type]


def missing(reach: Reach = Reach.PENDING) -> Missing:
    return Missing(5, "Ben", 2, "Branch 1", reach)


def alert_line() -> OpenAlertLine:
    return OpenAlertLine(9, 3, "Mia", 2, "Branch 1", DAY, 0, AT)


def everything() -> UnitDigest:
    return digest(missing=[missing()], alerts=[alert_line(), alert_line()],
                  subunits=[SubUnit(None, "Company A", Figures(1, 1, 0)),
                            SubUnit(2, "Branch 1", Figures(2, 0, 1))])


def test_each_step_is_offered_when_there_is_something_to_do() -> None:
    with use_locale("en"):
        assert next_step_buttons(everything(), drill=True) == [
            [("🔔 Remind those not reported", f"nx:r:{BIG}:20261130"),
             ("🚨 2 open alerts", f"nx:a:{BIG}")],
            [("🔍 Sub-units", f"nx:d:{BIG}")]]
    with use_locale("zh_CN"):
        assert next_step_buttons(everything(), drill=True) == [
            [("🔔 提醒未上报的人", f"nx:r:{BIG}:20261130"), ("🚨 2 条预警待处理", f"nx:a:{BIG}")],
            [("🔍 查看下级单位", f"nx:d:{BIG}")]]


def test_nothing_to_do_no_buttons() -> None:
    # Nobody missing who can be reached (blocked, never linked), no alert, only the unit's
    # own direct members: no next step at all.
    quiet = digest(missing=[missing(Reach.BLOCKED), missing(Reach.UNLINKED)],
                   subunits=[SubUnit(None, "Company A", Figures(1, 1, 0))])
    with use_locale("en"):
        assert next_step_buttons(quiet, drill=True) == []
        assert next_step_buttons(digest(), drill=True) == []
        only_alerts = digest(alerts=[alert_line()])
        assert next_step_buttons(only_alerts, drill=True) == [
            [("🚨 1 open alert", f"nx:a:{BIG}")]]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_digest_carries_the_steps_and_status_puts_them_above_its_sub_units(
        locale: str) -> None:
    with use_locale(locale):
        payload = payload_for(DigestText(everything()))
        keyboard = payload["reply_markup"]["inline_keyboard"]
        data = [b["callback_data"] for row in keyboard for b in row]
        assert data == [f"nx:r:{BIG}:20261130", f"nx:a:{BIG}", f"nx:d:{BIG}"]
        # /status has a button per sub-unit already: no "sub-units" button there.
        rows = status_buttons(everything(), up=7)
        assert [d for _label, d in rows[0]] == [f"nx:r:{BIG}:20261130", f"nx:a:{BIG}"]
        assert [d for row in rows[1:] for _label, d in row] == ["st:2", "st:7"]
        quiet = payload_for(DigestText(digest()))
        assert quiet.get("reply_markup") is None


def test_the_data_fits_telegrams_64_bytes_and_parses_back() -> None:
    for codec in (NEXT_REMIND, NEXT_ALERTS, NEXT_DRILL, NEXT_HANDLED):
        assert codec.longest() <= MAX_CALLBACK_DATA
    longest = NEXT_HANDLED.encode(BIG, 999_999_999_999)
    assert len(longest.encode()) <= MAX_CALLBACK_DATA
    values = NEXT_REMIND.decode(f"nx:r:{BIG}:20261130")
    assert values is not None and parse_remind(values) == (BIG, DAY)
    bad_day = NEXT_REMIND.decode("nx:r:4:20261332")
    assert bad_day is not None and parse_remind(bad_day) is None
    for forged in ("nx:r:4", "nx:r:-4:20261130", "nx:a:1234567890", "nx:h:1", "nx:d:x"):
        assert not any(c.matches(forged) for c in (NEXT_REMIND, NEXT_ALERTS, NEXT_DRILL,
                                                    NEXT_HANDLED))


def test_a_tapped_remind_button_says_how_many_and_when() -> None:
    sent = RemindResult(RemindStatus.SENT, 3)
    with use_locale("en"):
        assert reminded_label(sent, AT, "Asia/Shanghai") == "✅ Reminded 3 at 12:30"
        assert reminded_label(RemindResult(RemindStatus.NOBODY), AT, "Asia/Shanghai") == (
            "✅ Nobody to remind at 12:30")
        assert reminded_label(RemindResult(RemindStatus.TOO_SOON, next_at=AT), AT,
                              "Asia/Shanghai") == "⏳ Next reminder from 12:30"
        assert listed_label(2, AT, "Asia/Shanghai") == "🚨 2 open alerts, listed at 12:30"
    with use_locale("zh_CN"):
        assert reminded_label(sent, AT, "Asia/Shanghai") == "✅ 已提醒 3 人（12:30）"
        assert listed_label(0, AT, "Asia/Shanghai") == "✅ 无待处理预警（12:30）"
        assert reminded_label(RemindResult(RemindStatus.TOO_SOON, next_at=AT), AT,
                              "Asia/Shanghai") == "⏳ 12:30 后可再次提醒"


def view(alert_id: int, name: str) -> AlertView:
    return AlertView(
        alert_id=alert_id, report_id=alert_id, member_name=name,
        unit_names=("Company A", "Branch 1"), report_date=DAY, abnormal=True,
        persons=(Person(None, name, Decimal("38.2"), ("cough",), "发烧 <2 天>"),
                 Person("spouse", "Li Na", None, ())),
        contact_case=True, travel=False, isolation=False, reported_at=AT,
        timezone="Asia/Shanghai", entered_by=None, level=0)


def test_the_open_alerts_list_in_both_languages() -> None:
    listed = AlertsToHandle(BIG, "Company A", "Asia/Shanghai",
                            (view(1, "Mia <M>"), view(2, "赵敏")), 12)
    with use_locale("en"):
        text = alerts_text(listed)
        assert text.splitlines()[0] == "🚨 <b>12 open alerts in Company A</b> (oldest first):"
        assert "• <b>Mia &lt;M&gt;</b> — Company A / Branch 1" in text
        assert "Mia &lt;M&gt;: 38.2 °C, cough; contact with a case" in text
        assert "Li Na" not in text  # well: not a reason for the alert
        assert text.endswith("… +10 more: handle these first, then tap again.")
        assert alerts_buttons(listed) == [[("✅ Mia <M> handled", f"nx:h:{BIG}:1"),
                                           ("✅ 赵敏 handled", f"nx:h:{BIG}:2")]]
        done = AlertsToHandle(BIG, "Company A", "Asia/Shanghai", (), 0)
        assert alerts_text(done, handled=view(1, "Mia")) == (
            "✅ Mia: marked handled\n\nNo open alerts in Company A.")
        assert alerts_buttons(done) == []
    with use_locale("zh_CN"):
        text = alerts_text(listed)
        assert text.splitlines()[0] == "🚨 <b>Company A 有 12 条预警待处理</b>（按时间从早到晚）："
        assert "赵敏：38.2℃、咳嗽；接触过病例" in text
        assert alerts_buttons(listed)[0][1] == ("✅ 赵敏 已处理", f"nx:h:{BIG}:2")
