"""/members' order on 2,000 members in 40 units: member_page timed on a SQLite file, in
Chinese (pinyin keys: the first call computes them, later calls read the cache) and English.

    .venv/bin/python benchmarks/members_order.py
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime

from bot.db import Database
from bot.db.models import Base, Member
from bot.services.org import units as org
from bot.services.org.unit_admin import member_page


async def main() -> None:
    t = time.perf_counter()
    import pypinyin  # noqa: F401  (its import is paid once per process)

    print(f"import pypinyin: {(time.perf_counter() - t) * 1000:.0f} ms")
    path = tempfile.mktemp(suffix=".db")
    db = Database.from_url(f"sqlite:///{path}")
    async with db.core() as c:
        await c.run_sync(Base.metadata.create_all)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    random.seed(7)
    fam = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗曾单解"
    giv = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    async with db.transaction() as s:
        root = await org.ensure_unit(s, ["集团"], now=now)
        units = [await org.ensure_unit(s, ["集团", f"分公司{i // 8}", f"网格{i}"], now=now)
                 for i in range(40)]
        for _i in range(2000):
            s.add(Member(unit_id=random.choice(units).id,
                         name=random.choice(fam) + "".join(random.choices(giv, k=2))))
    for locale in ("zh_CN", "zh_CN", "en", "en"):
        async with db.transaction() as s:
            t = time.perf_counter()
            page = await member_page(s, root, 50, now=now, default_timezone="Asia/Shanghai",
                                     locale=locale)
            print(f"{locale}: page {page.page + 1}/{page.pages} of {page.total}: "
                  f"{(time.perf_counter() - t) * 1000:.1f} ms")
    await db.dispose()

asyncio.run(main())
