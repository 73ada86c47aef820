"""SandboxClient: the control API from Python, for tests, the demo and benchmarks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import httpx

JSON = dict[str, Any]
Transcript = list[JSON]


class SandboxError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, error: str):
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


def format_transcript(messages: Sequence[JSON]) -> str:
    """One line per message, for failure reports."""
    lines = []
    for m in messages:
        body = m.get("text") or m.get("caption") or ""
        extra = [key for key in ("photo", "document", "contact", "forward") if m.get(key)]
        flags = [flag for flag in ("edited", "deleted") if m.get(flag)]
        keyboard = (m.get("reply_markup") or {}).get("inline_keyboard")
        if keyboard:
            extra.append(
                "buttons=" + json.dumps([[b.get("text") for b in row] for row in keyboard])
            )
        lines.append(f"  #{m['message_id']} {m['from']}: {body!r} {' '.join(extra + flags)}")
    return "\n".join(lines) or "  (no messages)"


class SandboxClient:
    """`async with SandboxClient(url) as sb:` then play users and read their chats."""

    def __init__(self, url: str, *, timeout: float = 30.0, wait_timeout: float = 10.0):
        # Long polls are cut to `timeout` so that the HTTP timeout always outlasts them.
        self._max_wait = timeout
        # How long wait_for_bot_messages and wait_until wait when not told: a busy machine
        # (tests on several workers) may want more; they return as soon as the bot has answered.
        self._wait_timeout = wait_timeout
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout + 5)

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = str(response.json().get("error"))
            except ValueError:
                error = response.text
            raise SandboxError(response.status_code, error)
        return response.json()

    # -- users ---------------------------------------------------------------------------------

    async def create_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
        phone_number: str | None = None,
    ) -> JSON:
        """Create the user, or update it: fields passed as None keep their current value."""
        body: JSON = {"user_id": user_id, "first_name": first_name}
        optional = {
            "last_name": last_name,
            "language_code": language_code,
            "phone_number": phone_number,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        result: JSON = await self._call("POST", "/sandbox/users", json=body)
        return result

    async def users(self) -> list[JSON]:
        result: list[JSON] = await self._call("GET", "/sandbox/users")
        return result

    async def block(self, user_id: int) -> JSON:
        result: JSON = await self._call("POST", f"/sandbox/users/{user_id}/block")
        return result

    async def unblock(self, user_id: int) -> JSON:
        result: JSON = await self._call("POST", f"/sandbox/users/{user_id}/unblock")
        return result

    # -- what users send -----------------------------------------------------------------------

    async def _send(self, user_id: int, body: JSON) -> JSON:
        result: JSON = await self._call("POST", f"/sandbox/users/{user_id}/send", json=body)
        return result

    async def send_text(self, user_id: int, text: str) -> JSON:
        """Returns {"update_id", "message_id"}."""
        return await self._send(user_id, {"text": text})

    async def send_own_contact(self, user_id: int) -> JSON:
        """The user shares their own phone number (contact.user_id is the user)."""
        return await self._send(user_id, {"contact": True})

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """The user shares someone else's contact; without contact_user_id it has no user_id."""
        contact: JSON = {"phone_number": phone_number}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        if first_name is not None:
            contact["first_name"] = first_name
        return await self._send(user_id, {"contact": contact})

    async def send_forward(
        self, user_id: int, text: str, from_chat_title: str | None = None
    ) -> JSON:
        """A forwarded message: from a channel when titled, else from a hidden user."""
        forward: JSON = {"text": text}
        if from_chat_title is not None:
            forward["from_chat_title"] = from_chat_title
        return await self._send(user_id, {"forward": forward})

    async def send_document(
        self, user_id: int, file_name: str, content: bytes, mime_type: str | None = None
    ) -> JSON:
        document: JSON = {
            "file_name": file_name,
            "content_base64": base64.b64encode(content).decode("ascii"),
        }
        if mime_type is not None:
            document["mime_type"] = mime_type
        return await self._send(user_id, {"document": document})

    async def send_photo(self, user_id: int, content: bytes, caption: str | None = None) -> JSON:
        photo: JSON = {"content_base64": base64.b64encode(content).decode("ascii")}
        if caption is not None:
            photo["caption"] = caption
        return await self._send(user_id, {"photo": photo})

    async def press(
        self,
        user_id: int,
        message_id: int,
        *,
        callback_data: str | None = None,
        button: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Press an inline button (by label, or any callback_data) and wait for the answer.

        Returns {"answered": True, "text", "show_alert", ...} or {"answered": False}.
        """
        body: JSON = {"message_id": message_id}
        if callback_data is not None:
            body["callback_data"] = callback_data
        if button is not None:
            body["button"] = button
        if timeout is not None:
            body["timeout"] = timeout
        # The server bounds the wait (callback_answer_timeout unless `timeout` is given).
        result: JSON = await self._call(
            "POST",
            f"/sandbox/users/{user_id}/press",
            json=body,
            timeout=(timeout if timeout is not None else 60.0) + 5,
        )
        return result

    # -- reading chats -------------------------------------------------------------------------

    async def chat(self, user_id: int, after: int = 0) -> Transcript:
        """The chat's messages with message_id > after, oldest first."""
        return (await self._chat(user_id, {"after": after}))["messages"]

    async def _chat(self, user_id: int, params: JSON) -> JSON:
        result: JSON = await self._call("GET", f"/sandbox/users/{user_id}/chat", params=params)
        return result

    async def wait_for_bot_messages(
        self, user_id: int, *, after: int = 0, count: int = 1, timeout: float | None = None
    ) -> Transcript:
        """At least `count` bot messages newer than `after`; TimeoutError lists the chat."""
        timeout = self._wait_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = after
        while True:
            messages = (await self._chat(user_id, {"after": after}))["messages"]
            from_bot = [m for m in messages if m["from"] == "bot"]
            if len(from_bot) >= count:
                return from_bot
            remaining = deadline - loop.time()
            if remaining <= 0:
                transcript = await self.chat(user_id)
                raise TimeoutError(
                    f"expected {count} bot message(s) after #{after} in chat {user_id} within "
                    f"{timeout}s, got {len(from_bot)}; transcript:\n"
                    + format_transcript(transcript)
                )
            if from_bot:
                seen = from_bot[-1]["message_id"]
            wait = min(remaining, self._max_wait)
            await self._chat(user_id, {"after": max(seen, after), "wait": wait})

    async def wait_until(
        self,
        user_id: int,
        predicate: Callable[[Transcript], bool],
        timeout: float | None = None,
    ) -> Transcript:
        """Wait until `predicate(whole transcript)` holds; edits and deletions count too."""
        timeout = self._wait_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        reply = await self._chat(user_id, {"after": 0})
        while not predicate(reply["messages"]):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met in chat {user_id} within {timeout}s; transcript:\n"
                    + format_transcript(reply["messages"])
                )
            wait = min(remaining, self._max_wait)
            params = {"after": 0, "since_version": reply["version"], "wait": wait}
            reply = await self._chat(user_id, params)
        return reply["messages"]

    async def file(self, file_id: str) -> bytes:
        response = await self._http.get(f"/sandbox/files/{file_id}")
        if response.status_code >= 400:
            raise SandboxError(response.status_code, response.text)
        return response.content

    # -- faults, stats, reset ------------------------------------------------------------------

    async def set_faults(
        self,
        *,
        rate_429: float = 0.0,
        rate_5xx: float = 0.0,
        delay_ms: float = 0.0,
        seed: int = 0,
        retry_after: int = 1,
        methods: Sequence[str] | None = None,
    ) -> JSON:
        body: JSON = {
            "rate_429": rate_429,
            "rate_5xx": rate_5xx,
            "delay_ms": delay_ms,
            "seed": seed,
            "retry_after": retry_after,
        }
        if methods is not None:
            body["methods"] = list(methods)
        result: JSON = await self._call("POST", "/sandbox/faults", json=body)
        return result

    async def clear_faults(self) -> JSON:
        result: JSON = await self._call("POST", "/sandbox/faults", json={})
        return result

    async def redeliver(self, update_id: int) -> None:
        """Deliver update `update_id` again, same id and content (a duplicate, as Telegram may)."""
        await self._call("POST", f"/sandbox/updates/{update_id}/redeliver")

    async def stats(self) -> JSON:
        result: JSON = await self._call("GET", "/sandbox/stats")
        return result

    async def reset(self) -> None:
        await self._call("POST", "/sandbox/reset")
