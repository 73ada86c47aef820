"""The dashboard's JSON: services' results as plain dicts (names exactly as people wrote
them; the page puts them on screen as text, never as HTML)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bot.i18n import _, fmt_date, unit_path
from bot.render.verdict import verdict
from bot.render.webapp import trend_svg
from bot.services.digest.compute import Figures
from bot.services.notices.figures import NoticeDetail, NoticeLine
from bot.services.webapp.dashboard import Trend, UnitToday

# Names of non-reporters in one answer at most; the count says how many there are.
MAX_MISSING = 300


def _figures(f: Figures) -> dict[str, Any]:
    return {"expected": f.expected, "reported": f.reported, "abnormal": f.abnormal,
            "rate": None if f.rate is None else round(f.rate, 4)}


def missing_json(today: UnitToday) -> dict[str, Any]:
    """Who has not reported, grouped by unit (the first MAX_MISSING; the count is all)."""
    missing: dict[int, dict[str, Any]] = {}
    for m in today.view.digest.missing[:MAX_MISSING]:
        group = missing.setdefault(m.unit_id, {"unit_id": m.unit_id, "unit": m.unit_label,
                                               "members": []})
        group["members"].append({"id": m.member_id, "name": m.name})
    return {"unit": {"id": today.view.digest.unit_id, "name": today.view.digest.unit_name},
            "missing": list(missing.values()), "missing_count": len(today.view.digest.missing)}


def unit_json(today: UnitToday) -> dict[str, Any]:
    d, view = today.view.digest, today.view
    return {
        "unit": {"id": d.unit_id, "name": d.unit_name},
        "day": d.day.isoformat(), "day_text": fmt_date(d.day),
        "day_off": d.day_off,
        **_figures(d.figures),
        "late": today.late,
        # The zero report, or how many have not reported (empty with abnormal reports).
        "verdict": verdict(d.figures, abnormal=d.figures.abnormal, day_off=d.day_off),
        "up": view.up,
        "children": [
            {"id": s.unit_id, "name": s.name if s.unit_id is not None else _("Direct members"),
             **_figures(s.figures), "late": today.late_by_unit.get(s.unit_id, 0)}
            for s in d.subunits],
        "alerts": [
            {"id": a.alert_id, "member": a.member_name, "unit": a.unit_label,
             "day": a.report_date.isoformat(), "day_text": fmt_date(a.report_date),
             "level": a.level,
             "since": a.since.isoformat()}
            for a in d.alerts],
    }


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "unit": {"id": trend.unit_id, "name": trend.unit_name},
        "points": [{"day": day.isoformat(), **_figures(f)} for day, f in trend.points],
        "svg": trend_svg(trend.points),
    }


def notice_json(line: NoticeLine) -> dict[str, Any]:
    f = line.figures
    return {"id": line.notice_id, "at": line.at.isoformat(), "author": line.author,
            "target": unit_path(line.target), "snippet": line.snippet,
            "ack_required": line.ack_required, "status": str(line.status),
            "recipients": f.recipients, "delivered": f.sent, "acknowledged": f.acknowledged,
            "unreachable": f.unreachable}


def notice_detail_json(detail: NoticeDetail) -> dict[str, Any]:
    by_unit: dict[str, list[str]] = defaultdict(list)
    for names, people in detail.pending:
        by_unit[unit_path(names)].extend(p.name for p in people)
    return {**notice_json(detail.line),
            "pending": [{"unit": unit, "members": members} for unit, members in by_unit.items()]}
