"""The zero report (零报告), said only when it is one, and otherwise how far from it the unit is.

A zero report is a positive statement that nobody is affected: every member expected today
has reported and none is abnormal. Until then the line says plainly how many have not
reported, and "nothing abnormal among the reports received" names the unknown rest, so that
it cannot be read as an all-clear. Plain text (the digest, /status and the dashboard share
it; the dashboard shows text, never HTML). Render inside ``use_locale``.
"""

from __future__ import annotations

from bot.i18n import _, fmt_number, ngettext
from bot.services.digest.compute import Figures


def verdict(figures: Figures, *, abnormal: int, day_off: bool) -> list[str]:
    """The lines to print where the abnormal cases would be; empty when there are cases
    (their own section says so)."""
    if abnormal:
        return []
    if day_off or not figures.expected:
        return [_("No abnormal report, and nobody is expected to report today.")]
    missing = figures.expected - figures.reported
    if missing <= 0:
        return [ngettext("✅ Zero report: the {n} member expected has reported, nothing "
                         "abnormal.",
                         "✅ Zero report: all {n} members expected have reported, nothing "
                         "abnormal.", figures.expected).format(n=fmt_number(figures.expected))]
    lines = [ngettext("⏳ No zero report yet: {expected} expected, {missing} has not reported.",
                      "⏳ No zero report yet: {expected} expected, {missing} have not "
                      "reported.", missing).format(expected=fmt_number(figures.expected),
                                                   missing=fmt_number(missing))]
    if figures.reported:
        lines.append(ngettext(
            "Nothing abnormal in the {n} report received so far; the {missing} not reported "
            "are unknown.",
            "Nothing abnormal in the {n} reports received so far; the {missing} not reported "
            "are unknown.", figures.reported).format(n=fmt_number(figures.reported),
                                                     missing=fmt_number(missing)))
    return lines
