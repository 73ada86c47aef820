"""The leaders' dashboard (Telegram Mini App, bot.webapp): the button that opens it, the
page's words in the viewer's language, and the trend chart as SVG.

The dashboard's public address (WEBAPP_URL) is set once at start-up (`set_dashboard_url`, by
bot.runtime.app); without it no button is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.i18n import _, colon, fmt_date, fmt_number, pgettext
from bot.render.payloads import WEB_APP, Buttons
from bot.services.digest.compute import Figures
from bot.services.digest.status import StatusRefusal

_url: list[str] = []


def set_dashboard_url(url: str | None) -> None:
    _url.clear()
    if url:
        _url.append(url)


def dashboard_url() -> str | None:
    return _url[0] if _url else None


def dashboard_label() -> str:
    return _("📊 Dashboard")


def dashboard_button() -> Buttons:
    """One row with the button that opens the dashboard; none when it is not configured."""
    url = dashboard_url()
    return [[(dashboard_label(), WEB_APP + url)]] if url else []


def refused(refusal: StatusRefusal | str) -> str:
    if refusal == StatusRefusal.NOT_ALLOWED:
        return _("Only unit leaders and admins can open the dashboard.")
    if refusal == StatusRefusal.NO_UNITS:
        return _("There are no units yet.")
    if refusal == "session":
        return _("Your session has ended. Close the dashboard and open it again from the chat.")
    return _("You can only see your own unit and the units under it.")


def labels() -> dict[str, str]:
    """Every word the page shows, in the current locale (the page has no catalogue)."""
    return {
        "title": _("Dashboard"),
        "today": _("Today"),
        "units": _("Units"),
        "unit": pgettext("dashboard column", "Unit"),
        "expected": pgettext("dashboard column", "Expected"),
        "reported": pgettext("dashboard column", "Reported"),
        "rate": pgettext("dashboard column", "Rate"),
        "abnormal": pgettext("dashboard column", "Abnormal"),
        "late": pgettext("dashboard column", "Late"),
        "direct": _("Direct members"),
        "dayOff": _("Day off: nobody is expected to report today."),
        "missing": _("Not reported yet"),
        "nobodyMissing": _("Everyone expected has reported."),
        "remind": _("Remind them"),
        "alerts": _("Open alerts"),
        "noAlerts": _("No open alerts."),
        "handled": _("Handled"),
        "trend": _("Trend"),
        "days14": _("14 days"),
        "days30": _("30 days"),
        "notices": _("Notices"),
        "noNotices": _("No notices."),
        "delivered": _("delivered"),
        "acknowledged": _("acknowledged"),
        "notAcknowledged": _("Not acknowledged yet"),
        "export": _("Export"),
        "from": _("From"),
        "to": _("To"),
        "exportSent": _("The file is in your chat with the bot."),
        "loading": _("Loading…"),
        "error": _("Something went wrong. Please try again."),
        "level": _("escalated"),
        "session": refused("session"),
    }


def trend_svg(points: Sequence[tuple[date, Figures]], *, width: int = 360,
              height: int = 160) -> str:
    """The reporting rate (line, %) and abnormal reports (bars) per day, as an SVG that
    takes the page's colours (currentColor and the CSS variables of the theme)."""
    left, right, top, bottom = 30, 8, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    step = plot_w / n
    most = max([f.abnormal for _d, f in points] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(_("Trend"))}" class="trend">']
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'class="axis">{pct}%</text>')
    line = []
    for i, (day, figures) in enumerate(points):
        x = left + step * (i + 0.5)
        if figures.abnormal:
            h = plot_h * 0.4 * figures.abnormal / most
            parts.append(f'<rect x="{x - step * 0.3:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{step * 0.6:.1f}" height="{h:.1f}" class="abnormal">'
                         f'<title>{escape(colon(fmt_date(day), str(figures.abnormal)))}'
                         '</title></rect>')
        if figures.rate is not None:
            y = top + plot_h * (1 - figures.rate)
            line.append(f"{x:.1f},{y:.1f}")
            rate = fmt_number(round(figures.rate * 100, 1)) + "%"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="rate">'
                         f'<title>{escape(colon(fmt_date(day), rate))}</title></circle>')
        if i in (0, len(points) - 1):  # the first and last day, kept inside the frame
            anchor, at = ("start", left) if i == 0 else ("end", width - right)
            parts.append(f'<text x="{at}" y="{height - 6}" text-anchor="{anchor}" '
                         f'class="axis">{escape(fmt_date(day, "short"))}</text>')
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" class="rate" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)
