"""/quiet's buttons: common windows and Off, beside the window typed in words.

`qh:<HHMM>-<HHMM>` sets a window, `qh:off` clears it.
"""

from __future__ import annotations

from bot.i18n import _
from bot.render.callbacks import Codec, Token
from bot.render.payloads import Buttons

QUIET = Codec("qh", Token("window", 9, r"[0-9a-z\-]"))
WINDOWS = ("2200-0700", "2100-0600", "2300-0700", "2200-0800")


def quiet_buttons() -> Buttons:
    def label(window: str) -> str:
        start, end = window.split("-")
        return f"🌙 {start[:2]}:{start[2:]}–{end[:2]}:{end[2:]}"

    return [[(label(w), QUIET.encode(w)) for w in WINDOWS[:2]],
            [(label(w), QUIET.encode(w)) for w in WINDOWS[2:]],
            [(_("🔔 No quiet hours"), QUIET.encode("off"))]]


def quiet_text(token: str) -> str:
    """A button's window as /quiet reads a typed one."""
    if token == "off":
        return "off"
    start, _sep, end = token.partition("-")
    return f"{start[:2]}:{start[2:]}-{end[:2]}:{end[2:]}"
