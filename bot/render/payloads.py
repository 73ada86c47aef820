"""Bot API payloads: what an outbox row sends, built by render and nowhere else.

Payloads are Bot API calls as JSON (see bot.outbox.queue for how they are sent)::

    {"method": "sendMessage", "text": "...", "parse_mode": "HTML", "reply_markup": {...}}
    {"method": "sendPhoto" | "sendDocument", "file": FILE, "caption"?: "...", ...}

`payload_for` turns a service's view (a dataclass the service defines: an alert, a prompt, a
notice copy) into its payload; each render module registers the views it draws.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from functools import singledispatch
from pathlib import Path
from typing import Any

Payload = dict[str, Any]
InlineKeyboard = dict[str, list[list[dict[str, Any]]]]
# Rows of (label, callback data): what render gives handlers and payloads for buttons. Data
# that is an https:// link makes a URL button; "web_app:<url>" opens a Mini App (no callback
# codec's data starts so).
Buttons = list[list[tuple[str, str]]]
URL_PREFIX = "https://"


def is_url(data: str) -> bool:
    """Whether a button's data is a link (a URL button) rather than callback data."""
    return data.startswith(URL_PREFIX)

# Telegram's limits, in characters (Telegram counts what the user sees, after entities are
# parsed; render keeps its texts within these).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_CALLBACK_ANSWER = 200  # a button's toast or alert


_TAG = re.compile(r"<[^>]*>")


def toast(html_text: str) -> str:
    """A button's answer (a toast or an alert box: plain text) from one of render's HTML
    texts: tags out, entities back, within Telegram's 200 characters."""
    return html.unescape(_TAG.sub("", html_text))[:MAX_CALLBACK_ANSWER]


@singledispatch
def payload_for(view: object) -> Payload:
    """The payload that shows `view`, in the current locale (bot.i18n.use_locale)."""
    raise TypeError(f"no payload is registered for {type(view).__name__}")


# A button's "data" that opens a Mini App at the URL after it instead of calling back
# (render.webapp.dashboard_button); no codec's prefix looks like this.
WEB_APP = "web_app:"


def inline_button(label: str, data: str) -> dict[str, Any]:
    if data.startswith(WEB_APP):
        return {"text": label, "web_app": {"url": data.removeprefix(WEB_APP)}}
    if is_url(data):
        return {"text": label, "url": data}
    return {"text": label, "callback_data": data}


def inline_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboard:
    """Rows of (label, callback_data, an https:// link or web_app:<url>) as the Bot API's
    InlineKeyboardMarkup."""
    return {"inline_keyboard": [[inline_button(label, data) for label, data in row]
                                for row in rows]}


def message_payload(
    text: str, *, reply_markup: InlineKeyboard | None = None, parse_mode: str | None = "HTML"
) -> Payload:
    payload: Payload = {"method": "sendMessage", "text": text}
    if parse_mode:
        payload["parse_mode"] = parse_mode
    if reply_markup:
        payload["reply_markup"] = reply_markup
    return payload


def file_spec(
    *,
    data: bytes | None = None,
    path: str | Path | None = None,
    file_id: str | None = None,
    filename: str | None = None,
) -> dict[str, str]:
    """Exactly one of `data` (stored base64), `path` (absolute) or `file_id`."""
    if sum(x is not None for x in (data, path, file_id)) != 1:
        raise ValueError("give exactly one of data, path, file_id")
    spec: dict[str, str] = {}
    if data is not None:
        spec["base64"] = base64.b64encode(data).decode("ascii")
    elif path is not None:
        spec["path"] = str(Path(path).resolve())
    else:
        assert file_id is not None
        spec["file_id"] = file_id
    if filename:
        spec["filename"] = filename
    return spec


def _file_payload(method: str, file: dict[str, str], caption: str | None,
                  reply_markup: InlineKeyboard | None, parse_mode: str | None) -> Payload:
    payload: Payload = {"method": method, "file": file}
    if caption:
        payload["caption"] = caption
        if parse_mode:
            payload["parse_mode"] = parse_mode
    if reply_markup:
        payload["reply_markup"] = reply_markup
    return payload


def photo_payload(file: dict[str, str], *, caption: str | None = None,
                  reply_markup: InlineKeyboard | None = None,
                  parse_mode: str | None = "HTML") -> Payload:
    return _file_payload("sendPhoto", file, caption, reply_markup, parse_mode)


def document_payload(file: dict[str, str], *, caption: str | None = None,
                     reply_markup: InlineKeyboard | None = None,
                     parse_mode: str | None = "HTML") -> Payload:
    return _file_payload("sendDocument", file, caption, reply_markup, parse_mode)


