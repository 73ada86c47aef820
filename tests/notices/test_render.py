"""The drill-down stays within one Telegram message however many people it lists."""

from __future__ import annotations

import re

from bot.db.models import NoticeStatus
from bot.i18n import use_locale
from bot.render.notices import notice_detail
from bot.services.notices.figures import NoticeDetail, NoticeLine, Person, Progress
from tests.support.builders import NOW


def test_a_huge_drill_down_is_cut_with_counts_and_keeps_the_unreachable() -> None:
    line = NoticeLine(1, NOW, "Admin", (), False, True, NoticeStatus.QUEUED, "Hello",
                      Progress(recipients=10_000, queued=9_500, sent=9_500))
    pending = [(("Group", f"Cell {u}"), [Person(f"Person {u}-{i}") for i in range(100)])
               for u in range(95)]
    unreachable = [(("Group", "Cell 0"), [Person(f"Far {i}", "unlinked") for i in range(500)])]
    for locale in ("en", "zh_CN"):
        with use_locale(locale):
            text, buttons = notice_detail(NoticeDetail(line, pending, unreachable, True),
                                          "Asia/Shanghai")
        assert len(text) < 4096
        shown_pending = len(re.findall(r"Person \d+-\d+", text))
        shown_far = len(re.findall(r"Far \d+", text))
        assert shown_pending > 100 and shown_far > 40
        more = [int(n.replace(",", "")) for n in re.findall(r"(?:and|还有) ([\d,]+)", text)]
        assert more == [9_500 - shown_pending, 500 - shown_far]
        assert [data for row in buttons for _label, data in row] == ["nr:1"]
