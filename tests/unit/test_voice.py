"""One voice per language beyond the catalogue's own texts: short msgids carry a context where
they mean different things, pieces joined at run time use the locale's joiners, and dates,
times and temperatures have one style per locale (docs/glossary.md, "Voice")."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import i18n
from bot.db.models import LeaveKind
from bot.db.models.base import Role
from bot.db.models.notices import NoticeStatus
from bot.i18n import use_locale
from bot.render import admin, alerts, digest, duty, notices, onboarding, settings, volunteers
from bot.services.digest.alert_view import AlertView, Person
from bot.services.digest.compute import AbnormalCase, Figures, Missing, Reach, UnitDigest
from bot.services.duty.shifts import ShiftView
from bot.services.duty.volunteers import Offer
from bot.services.members.family import Entry
from bot.services.members.leaves import Candidate, LeaveLine
from bot.services.notices.figures import NoticeDetail, NoticeLine, Progress
from bot.services.notices.figures import Person as NoticePerson
from bot.services.org.unit_admin import MemberDetail, MemberLine, MemberPage

ROOT = Path(__file__).resolve().parents[2]
CJK = r"[\u3400-\u9fff]"
ASCII_NEXT_TO_CJK = re.compile(rf"{CJK}\s*[,:;()]|[,:;()]\s*{CJK}")
TAGS = re.compile(r"<[^>]+>")

# Short msgids shared by modules without a context because every use means the same thing.
SAME_EVERYWHERE = {
    "✖️ Cancel": "cancels the form the button sits under (roster import, notice flow)",
    "✖ Cancel": "cancels the form the button sits under (rules entry, daily report)",
    "✖ Decline": "declines the request the message is about (a shift swap, a join request)",
    "💾 Save": "saves the form the button sits under (rules entry, volunteer offer)",
    "working days": "the schedule's weekends value: weekends are working days (chat and CLI)",
    "🤒 Someone is unwell": "the daily report's choice (the prompt and the report form)",
    "well": "a person's state in a report (the report's lines, the export's cell)",
    "an administrator": "who acted when no name is known (an alert, a join request)",
    "in isolation": "a report's flag (the alert and the digest)",
    "Direct members": "a unit's own members, not its sub-units (the dashboard and its JSON)",
}


def _is_short(msgid: str) -> bool:
    return "{" not in msgid and len(re.findall(r"[A-Za-z']+", msgid)) <= 3


def shared_short_msgids() -> dict[str, set[str]]:
    """Short msgids without a context, with the modules that use them (two or more)."""
    with (ROOT / "locales" / "messages.pot").open("rb") as f:
        template = read_po(f)
    shared: dict[str, set[str]] = defaultdict(set)
    for message in template:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if message.context is None and msgid and _is_short(msgid):
            modules = {path for path, _line in message.locations}
            if len(modules) > 1:
                shared[msgid] = modules
    return shared


def test_a_short_msgid_shared_by_modules_has_a_context_unless_it_means_the_same() -> None:
    shared = shared_short_msgids()
    assert {m: sorted(where) for m, where in shared.items() if m not in SAME_EVERYWHERE} == {}
    # The allow-list names only what is still shared: a stale entry hides nothing new.
    assert set(SAME_EVERYWHERE) <= set(shared)


def test_no_is_translated_for_each_of_its_uses() -> None:
    with use_locale("zh_CN"):
        ack = notices.ask_ack()[1][0][1][0]
        keep = onboarding.confirm_remove(Entry(1, "配偶", "李娜"))[1][0][1][0]
    assert "删除" not in ack and keep == "不删除"


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh_CN", ("甲、乙、丙", "38.6℃；咳嗽", "关系：姓名", "王伟（一分公司）", "集团/一分公司",
               "好。谢谢！")),
    ("en", ("A, B, C", "38.6 °C; cough", "relation: name", "Wang Wei (Company A)",
            "Group / Company A", "Fine. Thanks!")),
])
def test_the_joiners_come_from_the_locale(locale: str, expected: tuple[str, ...]) -> None:
    zh = locale == "zh_CN"
    with use_locale(locale):
        got = (i18n.join_list(["甲", "乙", "丙"] if zh else ["A", "B", "C"]),
               i18n.join_clauses([i18n.fmt_temperature(Decimal("38.6")), "咳嗽" if zh
                                  else "cough"]),
               i18n.colon("关系" if zh else "relation", "姓名" if zh else "name"),
               i18n.aside("王伟" if zh else "Wang Wei", "一分公司" if zh else "Company A"),
               i18n.unit_path(["集团", "一分公司"] if zh else ["Group", "Company A"]),
               i18n.join_sentences(["好。", "谢谢！"] if zh else ["Fine.", "Thanks!"]))
    assert got == expected
    with use_locale(locale):
        assert i18n.join_list([]) == "" and i18n.join_list(["x"]) == "x"


def test_one_date_and_time_style_per_locale() -> None:
    year = 2026  # tests/conftest.py: this year, for fmt_date
    moment = datetime(year, 12, 4, 23, 31, tzinfo=UTC)  # 07:31 on Dec 5 in Shanghai
    with use_locale("zh_CN"):
        assert i18n.fmt_datetime(moment, tz="Asia/Shanghai") == "12月5日 07:31"
        assert i18n.fmt_date(date(year, 12, 5)) == "12月5日"
        assert i18n.fmt_date(date(year, 12, 5), "full") == "12月5日周六"
        assert i18n.fmt_date(date(year - 1, 12, 5)) == f"{year - 1}年12月5日"
        assert i18n.fmt_time(moment, tz="Asia/Shanghai") == "07:31"
    with use_locale("en"):
        assert i18n.fmt_datetime(moment, tz="Asia/Shanghai") == "Dec 5, 07:31"
        assert i18n.fmt_datetime(moment.replace(hour=13), tz="Asia/Shanghai") == "Dec 4, 21:31"
        assert i18n.fmt_date(date(year - 1, 12, 5)) == f"Dec 5, {year - 1}"
        assert i18n.fmt_datetime(moment, tz="Asia/Shanghai", day=date(year, 12, 5)) == "07:31"


@pytest.mark.parametrize(("locale", "expected"), [("zh_CN", "38.6℃"), ("en", "38.6 °C")])
def test_one_temperature_format(locale: str, expected: str) -> None:
    with use_locale(locale):
        assert i18n.fmt_temperature(Decimal("38.6")) == expected


def _alert() -> AlertView:
    moment = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    return AlertView(
        alert_id=1, report_id=1, member_name="王伟", unit_names=("集团", "一分公司", "三支部"),
        report_date=date(2026, 12, 5), abnormal=True,
        persons=(Person(None, "王伟", Decimal("38.6"), ("cough", "fatigue")),
                 Person("配偶", "李娜", None, ("sore_throat",))),
        contact_case=True, travel=True, isolation=False, reported_at=moment,
        timezone="Asia/Shanghai", entered_by=None, level=0)


def _notice_detail() -> NoticeDetail:
    line = NoticeLine(7, datetime(2026, 12, 5, 1, 0, tzinfo=UTC), "张主任", ("集团", "一分公司"),
                      False, True, NoticeStatus.QUEUED, "请各位注意防护", Progress(5, 4, 4))
    return NoticeDetail(line, pending=[(("集团", "一分公司"), [NoticePerson("王伟"),
                                                              NoticePerson("李娜")])],
                        unreachable=[(("集团", "二分公司"), [NoticePerson("赵六", "blocked")])])


def _shifts() -> list[ShiftView]:
    return [ShiftView(3, 1, "一分公司", date(2026, 12, 5), "08:00", "12:00", "卡口", 2, "王伟",
                      False)]


def _digest() -> UnitDigest:
    case = AbnormalCase(
        member_id=2, member_name="王伟", unit_id=3, unit_names=("一分公司", "三支部"),
        relation=None,
        person="王伟", temperature=Decimal("38.5"), symptoms=("cough", "sore throat"),
        contact_case=True, travel=True, isolation=False,
        reported_at=datetime(2026, 12, 5, 0, 5, tzinfo=UTC))
    missing = [Missing(10 + i, name, 3, ("一分公司", "三支部"), Reach.PENDING)
               for i, name in enumerate(["赵六", "钱七", "孙八"])]
    return UnitDigest(unit_id=1, unit_name="集团", unit_path="/1/", day=date(2026, 12, 5),
                      timezone="Asia/Shanghai", day_off=False, figures=Figures(10, 8, 1),
                      previous=Figures(10, 6, 0), cases=[case], missing=missing)


def rendered_in_chinese() -> dict[str, str]:
    """Texts that join pieces at run time, rendered for a Chinese reader (tags stripped)."""
    with use_locale("zh_CN"):
        texts = {
            "family list": onboarding.family_text([Entry(1, "配偶", "李娜"),
                                                   Entry(2, "子女", "王小明")]),
            "family buttons": " ".join(label for row in onboarding.family_buttons(
                [Entry(1, "配偶", "李娜")]) for label, _data in row),
            "alert": alerts.alert_text(_alert()),
            "notices drill-down": notices.notice_detail(_notice_detail(), "Asia/Shanghai")[0],
            "shifts": duty.shifts_list(_shifts())[0],
            "duty today": duty.duty_today(_shifts(), title="今日值班", with_unit=True),
            "volunteers": volunteers.volunteers_list([Offer(1, 2, "王伟", "一分公司",
                                                            ("checkpoint", "publicity"),
                                                            (0, 2), "周末都可以")])[0],
            "members": admin.members_text(MemberPage(1, ("集团", "一分公司"), 0, 1, 1, (
                MemberLine(2, "王伟", "三支部", Role.LEADER, True, False, True),)))[0],
            "member": admin.member_text(MemberDetail(
                2, "王伟", ("集团", "一分公司"), Role.MEMBER, "+8613800000000", True, False,
                None, (("配偶", "李娜"), ("子女", "王小明")), date(2026, 12, 4), False)),
            "digest": digest.digest_text(_digest()),
            "leaves": settings.leave_usage([LeaveLine(
                1, Candidate(2, "王伟", ("集团", "一分公司")), date(2026, 12, 5),
                date(2026, 12, 6), LeaveKind.LEAVE)]),
        }
    return {where: TAGS.sub("", text) for where, text in texts.items()}


@pytest.mark.parametrize("where", list(rendered_in_chinese()))
def test_chinese_joined_at_run_time_has_no_ascii_punctuation(where: str) -> None:
    text = rendered_in_chinese()[where]
    assert ASCII_NEXT_TO_CJK.findall(text) == [], text


def test_the_check_catches_what_it_is_for() -> None:
    assert ASCII_NEXT_TO_CJK.search("王伟 (一分公司)")
    assert ASCII_NEXT_TO_CJK.search("配偶: 李娜")
    assert not ASCII_NEXT_TO_CJK.search("王伟（一分公司） 08:00–12:00")
