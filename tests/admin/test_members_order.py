"""/members lists unit by unit in tree order, then names as the reader sorts them: by pinyin
in Chinese (not by character code), alphabetically with case aside in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.db import Database
from bot.db.models import Member
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.org.name_order import name_key
from tests.support.builders import ALAN, EVERYONE, QUIET, running_clock, seed_org, started
from tests.support.chat import ask

# Character codes put 张 (U+5F20) before 李 (U+674E), 王 (U+738B) and 阿 (U+963F).
ZH_NAMES = ["张三", "李四", "王五", "阿杰"]
EN_NAMES = ["carl", "Bob", "alice", "Dan"]


def listed(text: str) -> list[tuple[str, str]]:
    """(name, unit) of each numbered line."""
    return [(m[1], m[2]) for m in re.finditer(r"^\d+\. (.+?) — (.+?)(?: ·| [⚪⛔🏖]|$)", text,
                                              re.M)]


@pytest.mark.parametrize(("locale", "language", "names", "expected"), [
    ("zh_CN", "zh-hans", ZH_NAMES, ["阿杰", "李四", "王五", "张三"]),
    ("en", "en", EN_NAMES, ["alice", "Bob", "carl", "Dan"]),
])
async def test_members_by_unit_in_tree_order_then_by_name(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str,
    language: str, names: list[str], expected: list[str]
) -> None:
    o = await seed_org(db, locale=locale)
    started(sandbox, EVERYONE, language_code=language)
    bot_app.bot_data.clock = running_clock(QUIET)
    async with db.transaction() as s:
        for name in names:
            s.add(Member(unit_id=o.units["Branch 1"], name=name))
        s.add(Member(unit_id=o.units["Company A"], name="Zed"))  # the upper unit comes first
    [reply] = await ask(sb, ALAN, "/members")
    rows = listed(reply["text"])
    assert rows[:2] == [("Alan", "Company A"), ("Zed", "Company A")]
    branch = [name for name, unit in rows if unit == "Branch 1"]
    assert [n for n in branch if n in names] == expected
    assert branch == sorted(branch, key=lambda n: name_key(n, locale))


def test_pinyin_keys_order_family_names_and_are_computed_once() -> None:
    """Timing lives in benchmarks/members_order.py; here: the order, and the cache."""
    family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    names = [family[i % 20] + given[i // 20 % 20] + given[i % 19] for i in range(2000)]
    keys = sorted(names, key=lambda n: name_key(n, "zh_CN"))
    assert keys[0].startswith("陈") and keys[-1].startswith("朱")  # chen … zhu
    assert [k[0] for k in keys].index("李") < [k[0] for k in keys].index("王")
    from bot.services.org import name_order

    hits = name_order._pinyin.cache_info().hits
    assert sorted(names, key=lambda n: name_key(n, "zh_CN")) == keys
    assert name_order._pinyin.cache_info().hits >= hits + 2000
