"""The dashboard's API: every endpoint × role × in/out of scope, through HTTP against the
real Application; sign-in refusals (forged, altered, expired, replayed initData; a user who
manages nothing) get 401/403 and nothing else."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Alert, AuditEntry, Member
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest import alerts
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from tests.support.builders import (
    ALAN,
    BEN,
    BOB,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    MONDAY,
    NOW,
    TZ,
    Org,
    seed_org,
    started,
)
from tests.webapp.conftest import ADA, Api, init_data

STRANGER = 6010


async def _report(db: Database, member_id: int, temperature: str | None = None) -> int:
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        saved = await save_report(s, member=member, day=MONDAY, entry=ReportInput((
            PersonHealth(None, "", member.name,
                         Decimal(temperature) if temperature else None, ()),)),
            now=NOW, default_timezone=TZ)
        await alerts.alert_report(s, report_id=saved.report.id, now=NOW, default_timezone=TZ,
                                  default_locale="en")
        return saved.report.id


async def _audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as s:
        return list((await s.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.id))).all())


async def _org(db: Database, sandbox: SandboxServer) -> Org:
    o = await seed_org(db)
    started(sandbox, [*EVERYONE, ADA])
    return o


# --- sign-in --------------------------------------------------------------------------------


async def test_summary_answers_raw_init_data_with_the_root_units_figures(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    o = await _org(db, sandbox)
    await _report(db, o.members[MIA])
    r = await api.client.get("/webapp/api/summary",
                             headers={"X-Telegram-Init-Data": init_data(ALAN, api.token)})
    assert r.status_code == 200
    body = r.json()
    assert body["unit"] == {"id": o.units["Company A"], "name": "Company A"}
    assert (body["expected"], body["reported"], body["abnormal"]) == (4, 1, 0)
    assert body["verdict"] == [  # no zero report while three have not reported
        "⏳ No zero report yet: 4 expected, 3 have not reported.",
        "Nothing abnormal in the 1 report received so far; the 3 not reported are unknown."]
    assert sorted(((c["id"] or 0), c["expected"], c["reported"], c["late"])
                  for c in body["children"]) == [(0, 1, 0, 0), (o.units["Branch 1"], 3, 1, 0)]
    [audit] = await _audit(db, "status_view")
    assert audit.actor == f"tg:{ALAN}" and audit.target == f"unit:{o.units['Company A']}"
    missing = (await api.get("/webapp/api/missing", ALAN)).json()
    assert [(g["unit"], [m["name"] for m in g["members"]]) for g in missing["missing"]] == [
        ("Company A", ["Alan"]), ("Branch 1", ["Ben", "Dora"])]
    assert missing["missing_count"] == 3


async def test_forged_altered_expired_and_replayed_init_data_get_401(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    await _org(db, sandbox)
    good = init_data(ALAN, api.token)
    cases = {
        "forged": init_data(ALAN, "999999:another-bots-token"),
        "altered": good.replace(str(ALAN), str(GINA)),
        "expired": init_data(ALAN, api.token, at=NOW - timedelta(hours=1, seconds=5)),
        "malformed": "user=1&hash=abc",
    }
    for name, raw in cases.items():
        r = await api.client.get("/webapp/api/summary", headers={"X-Telegram-Init-Data": raw})
        assert r.status_code == 401, name
        assert "unit" not in r.text and "Company" not in r.text
    first = await api.client.post("/webapp/api/session", json={"init_data": good})
    assert first.status_code == 200
    replay = await api.client.post("/webapp/api/session", json={"init_data": good})
    assert replay.status_code == 401 and replay.json() == {"error": "replayed"}
    replay = await api.client.get("/webapp/api/summary", headers={"X-Telegram-Init-Data": good})
    assert replay.status_code == 401
    for header in ({}, {"Authorization": "Bearer nonsense"},
                   {"Authorization": "Bearer " + first.json()["token"] + "x"}):
        assert (await api.client.get("/webapp/api/summary", headers=header)).status_code == 401
    assert await _audit(db, "status_view") == []


async def test_a_session_ends_and_follows_the_roster(
        api: Api, bot_app: Any, db: Database, sandbox: SandboxServer) -> None:
    o = await _org(db, sandbox)
    headers = await api.as_user(ALAN)
    assert (await api.client.get("/webapp/api/summary", headers=headers)).status_code == 200
    async with db.transaction() as s:
        member = await s.get(Member, o.members[ALAN])
        assert member is not None
        member.active = False  # Alan left: his open session shows nothing more
    assert (await api.client.get("/webapp/api/summary", headers=headers)).status_code == 403
    from tests.support.builders import running_clock

    bot_app.bot_data.clock = running_clock(NOW + timedelta(minutes=31))
    assert (await api.client.get("/webapp/api/summary", headers=headers)).status_code == 401


@pytest.mark.parametrize("user", [MIA, STRANGER])
async def test_members_and_strangers_get_403_from_sign_in(
        api: Api, db: Database, sandbox: SandboxServer, user: int) -> None:
    await _org(db, sandbox)
    r = await api.session(user)
    assert r.status_code == 403 and r.json() == {"error": "not_allowed"}
    r = await api.client.get("/webapp/api/summary",
                             headers={"X-Telegram-Init-Data": init_data(user, api.token)})
    assert r.status_code == 403 and "Company" not in r.text


async def test_sign_in_speaks_the_users_language(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    await seed_org(db, locale="zh_CN")
    r = await api.session(ALAN, language="en")
    assert r.json()["locale"] == "zh_CN"  # their choice in the chat wins
    assert r.json()["labels"]["missing"] == "尚未上报"
    r = await api.session(ADA, language="en")  # no account: their Telegram app's language
    assert r.json()["locale"] == "en" and r.json()["labels"]["missing"] == "Not reported yet"


# --- every endpoint × role × scope -----------------------------------------------------------

# (who, unit asked for, expected status): leaders inside and outside their subtree, an admin.
SCOPES = [
    (ALAN, "Branch 1", 200), (ALAN, "Company A", 200), (ALAN, "Company B", 403),
    (ALAN, "Group", 403), (BOB, "Branch 1", 403), (BOB, "Company B", 200),
    (GINA, "Branch 1", 200), (ADA, "Company B", 200), (ADA, "Group", 200),
]


async def test_drill_down_and_trend_stay_inside_the_subtree(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    o = await _org(db, sandbox)
    await _report(db, o.members[DORA], "38.6")
    for user, unit, status in SCOPES:
        for path in ("/webapp/api/summary", "/webapp/api/missing", "/webapp/api/trend"):
            r = await api.get(path, user, unit=o.units[unit], days=30)
            assert r.status_code == status, (user, unit, path)
            if status == 403:
                assert set(r.json()) == {"error", "message"}
            else:
                assert r.json()["unit"]["id"] == o.units[unit]
    r = await api.get("/webapp/api/summary", ALAN, unit=999999)
    assert r.status_code == 403  # no such unit: told apart from nothing
    refused = await _audit(db, "status_refused")
    assert len(refused) == sum(3 for _u, _n, s in SCOPES if s == 403) + 1
    trend = (await api.get("/webapp/api/trend", ADA, days=30)).json()
    assert len(trend["points"]) == 30 and trend["svg"].startswith("<svg")
    assert trend["points"][-1]["abnormal"] == 1
    assert len((await api.get("/webapp/api/trend", ADA)).json()["points"]) == 14
    assert (await api.get("/webapp/api/summary", ALAN, unit="1;drop")).status_code == 400


async def test_admin_sees_the_whole_organisation(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    o = await _org(db, sandbox)
    body = (await api.get("/webapp/api/summary", ADA)).json()
    assert body["unit"]["id"] == o.units["Group"] and body["expected"] == 7
    assert {c["name"] for c in body["children"]} == {"Company A", "Company B", "Direct members"}


async def test_remind_keeps_remind_rules_and_audit(
        api: Api, db: Database, sandbox: SandboxServer, sb: SandboxClient) -> None:
    o = await _org(db, sandbox)
    await _report(db, o.members[MIA])
    r = await api.post("/webapp/api/remind", ALAN)
    assert r.status_code == 200
    assert r.json() == {"status": "sent", "count": 3, "message":
                        "Reminder sent to 3 members who have not reported yet."}
    for uid in (DORA, BEN):
        [reminder] = await sb.wait_for_bot_messages(uid)
        assert reminder["text"].startswith("⏰ ")
    for uid in (MIA, GINA, BOB, CARA):
        assert await sb.chat(uid) == []
    [audit] = await _audit(db, "remind")
    assert audit.target == f"unit:{o.units['Company A']}" and audit.details == {"count": 3}
    again = await api.post("/webapp/api/remind", ALAN)
    assert again.json()["status"] == "too_soon"
    assert (await api.client.post("/webapp/api/remind")).status_code == 401
    assert (await api.client.post("/webapp/api/remind", headers={
        "X-Telegram-Init-Data": init_data(MIA, api.token)})).status_code == 403


async def test_alert_handled_as_the_button_does(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    o = await _org(db, sandbox)
    await _report(db, o.members[CARA], "38.6")  # Company B
    async with db.transaction() as s:
        alert_id = (await s.scalars(select(Alert.id))).one()
    body = (await api.get("/webapp/api/summary", BOB)).json()
    assert [a["id"] for a in body["alerts"]] == [alert_id]
    assert (await api.get("/webapp/api/summary", ALAN)).json()["alerts"] == []
    r = await api.post(f"/webapp/api/alerts/{alert_id}/handled", ALAN)
    assert r.status_code == 403 and r.json()["status"] == "not_allowed"
    assert [a.target for a in await _audit(db, "alert_denied")] == [f"alert:{alert_id}"]
    r = await api.post(f"/webapp/api/alerts/{alert_id}/handled", BOB)
    assert r.status_code == 200 and r.json()["message"] == "Marked as handled. Thank you."
    assert (await api.get("/webapp/api/summary", BOB)).json()["alerts"] == []
    r = await api.post(f"/webapp/api/alerts/{alert_id}/handled", ADA)
    assert r.json()["status"] == "already"
    assert (await api.post("/webapp/api/alerts/99999/handled", ADA)).status_code == 404


async def test_export_sends_the_same_xlsx_into_the_chat(
        api: Api, db: Database, sandbox: SandboxServer, sb: SandboxClient) -> None:
    import io

    from openpyxl import load_workbook
    o = await _org(db, sandbox)
    await _report(db, o.members[MIA])
    await _report(db, o.members[CARA])
    r = await api.post("/webapp/api/export", ALAN, {"from": "2026-11-24", "to": "2026-11-30"})
    # Company A's four members (not Cara: Company B) on each of 7 days, reported or not.
    assert r.status_code == 200 and r.json()["rows"] == 4 * 7
    [document] = await sb.wait_for_bot_messages(ALAN)
    assert document["document"]["file_name"] == "reports_20261124-20261130.xlsx"
    book = load_workbook(io.BytesIO(await sb.file(document["document"]["file_id"])))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 28 and book.sheetnames == ["Reports", "Daily figures"]
    assert [r[2:4] for r in rows if r[3] == "reported"] == [("Mia", "reported")]
    [audit] = await _audit(db, "export")
    assert audit.details == {"from": "2026-11-24", "to": "2026-11-30", "rows": 28}
    bad = await api.post("/webapp/api/export", ALAN, {"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 400 and bad.json()["error"] == "reversed"
    bad = await api.post("/webapp/api/export", ALAN, {"from": "yesterday", "to": "x"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_date"
    member = await api.client.post("/webapp/api/export", json={"from": "2026-11-24"}, headers={
        "X-Telegram-Init-Data": init_data(MIA, api.token)})
    assert member.status_code == 403
    assert len(await _audit(db, "export")) == 1


async def test_notices_are_listed_as_notices_shows_them(
        api: Api, db: Database, sandbox: SandboxServer) -> None:
    await _org(db, sandbox)
    for user in (ALAN, ADA):
        r = await api.get("/webapp/api/notices", user)
        assert r.status_code == 200 and r.json() == {"notices": []}
    r = await api.get("/webapp/api/notices/12345", ALAN)
    assert r.status_code == 404
    assert [a.target for a in await _audit(db, "notice_view_denied")] == ["notice:12345"]
    r = await api.client.get("/webapp/api/notices", headers={
        "X-Telegram-Init-Data": init_data(MIA, api.token)})
    assert r.status_code == 403


async def test_the_page_and_its_files_are_served_without_a_cdn(api: Api) -> None:
    page = await api.client.get("/webapp/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "http" not in page.text.split("<body>")[1].replace("http://www.w3.org", "")
    for name in ("tg.js", "dashboard.js", "dashboard.css"):
        assert (await api.client.get(f"/webapp/static/{name}")).status_code == 200
