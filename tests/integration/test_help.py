"""/help by topic, showing each person only what they may use, in English and Chinese."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.db import Database
from bot.db.models import Account, Member, Role
from bot.sandbox import SandboxClient, SandboxServer
from tests.support.builders import CARA, EVERYONE, GINA, seed_org, started
from tests.support.chat import ask

SECTIONS_EN = ("Getting started", "Your daily report", "Rules and rumours",
               "Duty and volunteering", "Your units (leaders)",
               "Leave, questions and notices (leaders)", "Duty rosters (leaders)",
               "Administration")


def sections(text: str, names: tuple[str, ...]) -> list[str]:
    return [line for line in text.splitlines() if line in names]


async def test_help_is_grouped_and_shows_only_what_each_may_use(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, EVERYONE)
    [member] = await ask(sb, CARA, "/help")
    assert sections(member["text"], SECTIONS_EN) == [
        "Getting started", "Your daily report", "Rules and rumours", "Duty and volunteering"]
    assert "/report — " in member["text"] and "/leave" not in member["text"]
    # A leader, in Chinese: the leaders' sections too, but no administration.
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == GINA)
                        .values(locale="zh_CN"))
    [leader] = await ask(sb, GINA, "/help")
    lines = leader["text"].splitlines()
    assert lines[0] == "您可以使用的命令："
    assert "本单位管理（负责人）" in lines and "请假、答疑与通知（负责人）" in lines
    assert "系统管理" not in lines and "/import" not in leader["text"]
    index = lines.index("请假、答疑与通知（负责人）")
    assert lines[index + 1].startswith("/leave — ")
    # An admin sees administration last.
    async with db.transaction() as s:
        await s.execute(update(Member).where(Member.telegram_user_id == CARA)
                        .values(role=Role.ADMIN))
    [admin] = await ask(sb, CARA, "/help")
    assert sections(admin["text"], SECTIONS_EN)[-1] == "Administration"
    assert admin["text"].rstrip().endswith("/faq_add — Turn an answered question into a rules "
                                           "entry: /faq_add ID")
