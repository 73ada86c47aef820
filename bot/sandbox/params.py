"""Bot API request parameters and errors.

PTB sends form fields (nested objects as JSON strings, numbers and booleans as text) or
multipart with files; other clients send a JSON body. `Params` reads both the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.models import JSON


class ApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    def __init__(self, values: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None):
        self.values = dict(values)
        self.uploads = dict(uploads or {})

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.uploads

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def required_string(self, name: str) -> str:
        value = self.string(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise bad_request(f"wrong parameter {name}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, what: str | None = None) -> Any:
        """A nested object: parsed from its JSON text (form) or taken as is (JSON body)."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def upload(self, name: str) -> Upload | None:
        return self.uploads.get(name)


def chat_id_of(params: Params, name: str = "chat_id") -> int:
    """A private chat's id; "@username" and non-numbers find no chat here."""
    raw = params.string(name)
    if not raw:
        raise bad_request("chat_id is empty" if name == "chat_id" else f"{name} is empty")
    try:
        return int(raw)
    except ValueError:
        raise bad_request("chat not found") from None
